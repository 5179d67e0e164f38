// Staff page: ask, follow up in a conversation, open the cited paragraphs, browse and add
// documents. Every question goes to POST /v1/ask; a follow-up carries the conversation
// before it as `history`, and the server says how it understood it (`resolved_question`).
// All document text is inserted with textContent (never as HTML).
"use strict";

const I18N = {
  fr: {
    pageTitle: "Coopération ONU – organisations régionales : questions",
    title: "Coopération ONU – organisations régionales", skip: "Aller à la question",
    navigation: "Navigation principale", questions: "Questions", documents: "Documents",
    langButton: "EN", langLabel: "English interface", langCode: "en",
    label: "Votre question (français ou anglais)", ask: "Demander",
    placeholder: "Ex. : Dans quels domaines l’ONU et l’OCS coopèrent-elles ?",
    followPlaceholder: "Question complémentaire, ex. : Et avec l’OSCE ?",
    followHint: "La question suivante tient compte de la conversation. « Nouvelle conversation » pour repartir de zéro.",
    conversation: "Conversation", newConversation: "Nouvelle conversation",
    key: "Clé d’API", clearKey: "Oublier la clé", keyCleared: "Clé d’API effacée de ce navigateur.",
    keyHint: "Gardée dans ce navigateur après une demande acceptée.",
    loading: "Recherche dans les documents…", answered: "Réponse reçue.",
    sources: "Sources", closest: "Passages les plus proches",
    notFound: "Réponse introuvable dans les documents.",
    understood: "Compris comme",
    confidence: "Confiance", high: "élevée", medium: "moyenne", low: "faible",
    confidenceTitle: "Confiance calibrée : {n} (de 0 à 1)", time: "répondu en {s} s",
    timeFast: "répondu en moins de 0,1 s",
    copy: "Copier", copyLabel: "Copier la réponse et ses sources", copied: "Copié",
    copyDone: "Réponse et sources copiées.", copyFailed: "Copie impossible dans ce navigateur.",
    official: "Document officiel", officialLabel: "{ref}, document officiel sur undocs.org (nouvel onglet)",
    marker: "Source {n} : {ref}", openRef: "Ouvrir {ref}",
    close: "Fermer", browseDoc: "Lire dans le document",
    backAnswer: "← Retour à la réponse", backList: "← Tous les documents",
    part: "Partie {n}", partsIntro: "Cette question comporte {n} parties :",
    question: "Question", answerLabel: "Réponse", sourcesHeading: "Sources :",
    upload: "Ajouter un document", uploadFile: "Fichiers (PDF, DOCX, HTML, TXT, MD)",
    chooseFiles: "Choisir des fichiers", noFile: "Aucun fichier choisi", retry: "Réessayer",
    uploadSubmit: "Envoyer", uploadHint: "Un fichier du même nom remplace le document existant. Les questions suivantes utilisent le nouvel index.",
    uploading: "Envoi et indexation en cours…", uploadPick: "Choisissez au moins un fichier.",
    chars: "{n} / {max} caractères (la question ne peut pas être plus longue)",
    uploadDone: "Index mis à jour en {s} s.", uploadNothing: "Aucun changement : le document était déjà indexé.",
    added: "ajouté", replaced: "remplacé", unchanged: "inchangé", removed: "retiré",
    passages: "{n} passages", docsLoading: "Chargement…",
    par: "par.", unnumbered: "paragraphe non numéroté", listItem: "élément de liste",
    titleLabel: "titre", signature: "bloc de signature", footnote: "note de bas de page {n}",
    noteShort: "Note {n}", masthead: "en-tête",
    card: "Fiche du document", inferred: "déduit", fromCatalogue: "catalogue",
    noteYearFrom: "année tirée de {what}", noteSymbol: "la cote {symbol}",
    noteDocDate: "la date du document ({date})", notePrints: "le texte imprime {value}",
    noteOnlyDistribution: "le texte n’imprime pas d’autre date que sa date de distribution",
    openField: "{field} : {value}, ouvrir le passage",
    field_symbol: "Cote", field_title: "Titre", field_date: "Date",
    field_distribution_date: "Date de distribution", field_original_language: "Langue originale",
    field_sender: "Expéditeur", field_signatory: "Signataire", field_addressee: "Destinataire",
    field_enclosure: "Pièce transmise",
    field_agenda_item: "Point de l’ordre du jour", field_meeting_date: "Date de la séance",
    field_meeting_theme: "Thème de la séance", field_presidency: "Présidence",
    errNetwork: "Impossible de joindre le serveur. Vérifiez la connexion puis réessayez.",
    errInvalid: "Le serveur a renvoyé une réponse illisible. Réessayez.",
    err400: "La demande n’a pas été acceptée.", err401: "Cette instance demande une clé d’API : saisissez-la en haut de la page puis réessayez.",
    err403: "Le serveur refuse cette action.", err404: "Élément introuvable.",
    err408: "Le serveur n’a pas reçu la demande à temps. Réessayez.",
    err409: "Une autre modification des documents est en cours. Réessayez dans un instant.",
    err413: "Trop volumineux pour le serveur.", err415: "Type de fichier non pris en charge.",
    err422: "La demande n’a pas pu être traitée.", err429: "Trop de demandes : patientez un peu puis réessayez.",
    err5xx: "Le service est momentanément indisponible (erreur {n}). Réessayez dans un instant.",
    errOther: "La demande a échoué (erreur {n}).", serverSays: "Message du serveur : {m}",
    past: "Questions précédentes", clearHistory: "Effacer l’historique",
    historyCleared: "Historique et conversation effacés.",
    link: "Lien", linkLabel: "Copier le lien de cette réponse", linkCopied: "Lien copié : {url}",
  },
  en: {
    pageTitle: "UN – regional organisations cooperation: questions",
    title: "UN – regional organisations cooperation", skip: "Skip to the question",
    navigation: "Main navigation", questions: "Questions", documents: "Documents",
    langButton: "FR", langLabel: "Interface en français", langCode: "fr",
    label: "Your question (French or English)", ask: "Ask",
    placeholder: "E.g.: In which areas do the UN and the SCO cooperate?",
    followPlaceholder: "Follow-up question, e.g.: And with the OSCE?",
    followHint: "The next question takes the conversation into account. “New conversation” starts afresh.",
    conversation: "Conversation", newConversation: "New conversation",
    key: "API key", clearKey: "Forget the key", keyCleared: "API key removed from this browser.",
    keyHint: "Kept in this browser after an accepted request.",
    loading: "Searching the documents…", answered: "Answer received.",
    sources: "Sources", closest: "Closest passages",
    notFound: "Not found in the documents.",
    understood: "Understood as",
    confidence: "Confidence", high: "high", medium: "medium", low: "low",
    confidenceTitle: "Calibrated confidence: {n} (0 to 1)", time: "answered in {s} s",
    timeFast: "answered in under 0.1 s",
    copy: "Copy", copyLabel: "Copy the answer and its sources", copied: "Copied",
    copyDone: "Answer and sources copied.", copyFailed: "This browser does not allow copying.",
    official: "Official document", officialLabel: "{ref}, official document on undocs.org (new tab)",
    marker: "Source {n}: {ref}", openRef: "Open {ref}",
    close: "Close", browseDoc: "Read in the document",
    backAnswer: "← Back to the answer", backList: "← All documents",
    part: "Part {n}", partsIntro: "This question has {n} parts:",
    question: "Question", answerLabel: "Answer", sourcesHeading: "Sources:",
    upload: "Add a document", uploadFile: "Files (PDF, DOCX, HTML, TXT, MD)",
    chooseFiles: "Choose files", noFile: "No file chosen", retry: "Try again",
    uploadSubmit: "Upload", uploadHint: "A file with the same name replaces the existing document. The next questions use the new index.",
    uploading: "Uploading and indexing…", uploadPick: "Choose at least one file.",
    chars: "{n} / {max} characters (the question cannot be longer)",
    uploadDone: "Index updated in {s} s.", uploadNothing: "Nothing changed: the document was already indexed.",
    added: "added", replaced: "replaced", unchanged: "unchanged", removed: "removed",
    passages: "{n} passages", docsLoading: "Loading…",
    par: "para.", unnumbered: "unnumbered paragraph", listItem: "list item",
    titleLabel: "title", signature: "signature block", footnote: "footnote {n}",
    noteShort: "Footnote {n}", masthead: "masthead",
    card: "Document card", inferred: "inferred", fromCatalogue: "catalogue",
    noteYearFrom: "year from {what}", noteSymbol: "the symbol {symbol}",
    noteDocDate: "the date of the document ({date})", notePrints: "the text prints {value}",
    noteOnlyDistribution: "the text prints no other date than its distribution date",
    openField: "{field}: {value}, open the passage",
    field_symbol: "Symbol", field_title: "Title", field_date: "Date",
    field_distribution_date: "Distribution date", field_original_language: "Original language",
    field_sender: "Sender", field_signatory: "Signatory", field_addressee: "Addressee",
    field_enclosure: "Enclosure",
    field_agenda_item: "Agenda item", field_meeting_date: "Meeting date",
    field_meeting_theme: "Meeting theme", field_presidency: "Presidency",
    errNetwork: "Cannot reach the server. Check the connection and try again.",
    errInvalid: "The server sent an unreadable reply. Try again.",
    err400: "The request was not accepted.", err401: "This server needs an API key: enter it at the top of the page and try again.",
    err403: "The server refuses this action.", err404: "Not found.",
    err408: "The server did not receive the request in time. Try again.",
    err409: "Another change to the documents is in progress. Try again in a moment.",
    err413: "Too large for the server.", err415: "Unsupported file type.",
    err422: "The request could not be processed.", err429: "Too many requests: wait a little and try again.",
    err5xx: "The service is unavailable for the moment (error {n}). Try again shortly.",
    errOther: "The request failed (error {n}).", serverSays: "Server message: {m}",
    past: "Earlier questions", clearHistory: "Clear history",
    historyCleared: "History and conversation cleared.",
    link: "Link", linkLabel: "Copy the link to this answer", linkCopied: "Link copied: {url}",
  },
};

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => (k in v ? String(v[k]) : ""));
const t = (k, v) => fmt(I18N[lang][k], v || {});
const num = (x, digits) => new Intl.NumberFormat(lang, {
  minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
const colon = () => (lang === "fr" ? " : " : ": ");
const motion = () => (matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth");

function browserLanguage() {
  const stored = localStorage.getItem("lang");
  if (I18N[stored]) return stored;
  for (const l of navigator.languages || [navigator.language || ""]) {
    const code = String(l).slice(0, 2).toLowerCase();
    if (I18N[code]) return code;
  }
  return "fr";
}
let lang = browserLanguage();

const state = {
  turns: [], // {id, question, status: pending|done|error, answer, error, el}
  busy: false,
  panel: null, // {p, ranges, origin}
  reader: null, // {d, passageId, ranges, returnTo}
  documents: null,
  upload: null, // {report} or {error}
  viewHash: "#/", // the route of the view under the passage panel
  routed: null, // the last hash handled, so popstate and hashchange route it once
};
let turnIds = 0;
let readerLoads = 0;

// -- requests -------------------------------------------------------------------------

class RequestError extends Error {
  constructor(kind, status, detail, language) {
    super(`${kind} ${status}`);
    this.kind = kind; // network | http | invalid
    this.status = status;
    this.detail = detail || "";
    this.language = language || ""; // of the detail (the response's Content-Language)
  }
}

function apiKey() {
  return $("api-key").value.trim() || localStorage.getItem("apiKey") || "";
}

async function api(path, options = {}) {
  const headers = { "Accept-Language": lang }; // the server's messages in the page's language
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form; // the browser writes the multipart boundary
  }
  let res;
  try {
    res = await fetch(path, { method: body ? "POST" : "GET", headers, body });
  } catch (err) {
    throw new RequestError("network", 0);
  }
  let data = null;
  try { data = await res.json(); } catch (err) { data = null; }
  if (!res.ok) {
    if (res.status === 401) showKeyRow(true);
    const message = data && data.error && typeof data.error.message === "string"
      ? data.error.message : "";
    throw new RequestError("http", res.status, message, res.headers.get("Content-Language"));
  }
  if (data === null || typeof data !== "object") throw new RequestError("invalid", res.status);
  if (key) localStorage.setItem("apiKey", key);
  return data;
}

function errorText(err) {
  if (!(err instanceof RequestError)) return t("errOther", { n: "?" });
  if (err.kind === "network") return t("errNetwork");
  if (err.kind === "invalid") return t("errInvalid");
  const key = `err${err.status}`;
  if (I18N[lang][key]) return t(key);
  if (err.status >= 500) return t("err5xx", { n: err.status });
  return t("errOther", { n: err.status });
}

function errorBox(err, message) {
  const box = el("div", "error");
  box.setAttribute("role", "alert");
  const icon = el("span", "error-icon", "!");
  icon.setAttribute("aria-hidden", "true");
  const body = el("div");
  body.append(el("p", "error-message", message || errorText(err)));
  // the server's own words only when they are in the page's language
  if (err && err.detail && err.language === lang) {
    body.append(el("p", "error-detail", t("serverSays", { m: err.detail })));
  }
  box.append(icon, body);
  return box;
}

function showError(container, err) {
  container.replaceChildren(errorBox(err));
}

function announce(text) {
  $("status").textContent = "";
  $("status").textContent = text;
}

function showKeyRow(focus) {
  $("key-row").hidden = false;
  if (focus) $("api-key").focus();
}

// -- labels and references ----------------------------------------------------------

/** A passage label in words: "par. 12", "élément de liste", "note de bas de page 1"… Ordinals
 *  that the document does not print (§3, bullet 7, title 2) are not shown. */
function humanLabel(label) {
  const raw = String(label || "");
  let m;
  if (/^\d/.test(raw)) return `${t("par")} ${raw}`;
  if (/^§\s?\d+$/.test(raw)) return t("unnumbered");
  if (/^bullet \d+$/.test(raw)) return t("listItem");
  if (/^title \d+$/.test(raw)) return t("titleLabel");
  if (raw === "signature") return t("signature");
  if (/^masthead(-\d+)?$/.test(raw)) return t("masthead");
  if ((m = raw.match(/^note (\d+)$/))) return t("footnote", { n: m[1] });
  return raw;
}

/** The document part of a citation's server reference (symbol, or head of the title). */
function docRef(p) {
  const label = String(p.paragraph || "");
  const para = /^\d/.test(label) ? `par. ${label}` : label;
  const suffix = `, ${para}`;
  if (p.reference && p.reference.endsWith(suffix)) return p.reference.slice(0, -suffix.length);
  const d = p.document || {};
  return d.symbol || String(d.title || "").split(/,| \(|:/)[0].trim() || d.id || "";
}

const humanRef = (p) => `${docRef(p)}, ${humanLabel(p.paragraph)}`;
const officialUrl = (symbol) => (symbol ? `https://undocs.org/fr/${encodeURI(symbol)}` : "");

function officialLink(symbol, ref, cls) {
  const a = el("a", cls || "official", `${t("official")} ↗`);
  a.href = officialUrl(symbol);
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.setAttribute("aria-label", t("officialLabel", { ref }));
  return a;
}

function setOfficial(a, symbol, ref) {
  a.hidden = !symbol;
  if (!symbol) return;
  a.href = officialUrl(symbol);
  a.textContent = `${t("official")} ↗`;
  a.setAttribute("aria-label", t("officialLabel", { ref }));
}

// -- answers --------------------------------------------------------------------------

const LEAD_INS = [/^From the documents \(quoted in the original French\):\s*/];
const NOT_COVERED = [/^Les documents ne précisent pas : /, /^The documents do not say: /];

/** Where the words an answer quotes sit in a passage: [start, end] or null. The answer may
 *  put a lead-in or a document name before them, so shorter tails are tried too. */
function locate(text, sentence) {
  if (!text || !sentence) return null;
  const at = text.indexOf(sentence);
  if (at >= 0) return [at, at + sentence.length];
  for (let i = sentence.indexOf(" "); i >= 0; i = sentence.indexOf(" ", i + 1)) {
    const tail = sentence.slice(i + 1);
    if (tail.length < 20) break;
    const j = text.indexOf(tail);
    if (j >= 0) return [j, j + tail.length];
  }
  return null;
}

function addRange(list, range) {
  if (range && !list.some((r) => r[0] === range[0] && r[1] === range[1])) list.push(range);
}

/** The answer text cut into parts (one per line that is not a list item), lines and [n]
 *  markers; each marker knows the sentence it closes, so it highlights that one. */
function parseAnswer(answerText, citations) {
  let text = String(answerText || "");
  let lead = "";
  for (const re of LEAD_INS) {
    const m = text.match(re);
    if (m) { lead = m[0].trim(); text = text.slice(m[0].length); }
  }
  const byMarker = new Map(citations.map((c) => [c.marker, c]));
  const ranges = new Map(citations.map((c) => [c.marker, []]));
  const refs = [...new Set(citations.map(docRef))].filter(Boolean);
  const blocks = [];
  let last = "";
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    const item = raw.startsWith("- ");
    let line = item ? raw.slice(2) : raw;
    if (!item || !blocks.length) {
      const block = { heading: "", missing: NOT_COVERED.some((re) => re.test(line)), lines: [] };
      const ref = !item && refs.find((r) => line.startsWith(`${r} : `) || line.startsWith(`${r}: `));
      if (ref) {
        block.heading = ref;
        line = line.slice(ref.length).replace(/^\s?:\s/, "");
      }
      blocks.push(block);
    }
    const tokens = [];
    let pending = "";
    for (const piece of line.split(/(\[\d+\])/)) {
      const m = piece.match(/^\[(\d+)\]$/);
      if (!m) {
        if (piece) tokens.push({ text: piece });
        pending += piece;
        continue;
      }
      const marker = Number(m[1]);
      const c = byMarker.get(marker);
      let sentence = pending.trim();
      if (sentence) last = sentence; else sentence = last; // "[1][2]": both close one sentence
      pending = "";
      const range = c ? locate(c.text, sentence) : null;
      if (c) addRange(ranges.get(marker), range);
      tokens.push({ marker, citation: c, range });
    }
    blocks[blocks.length - 1].lines.push({ item, tokens });
  }
  for (const c of citations) { // nothing located (e.g. a rephrased answer): the server's quote
    if (!ranges.get(c.marker).length) addRange(ranges.get(c.marker), locate(c.text, c.quote));
  }
  return { lead, blocks, ranges };
}

function fromAsk(data) {
  const citations = Array.isArray(data.citations) ? data.citations : [];
  const heading = data.language === "en" ? "Sources:" : "Sources :";
  const content = citations.length
    ? `${data.answer}\n\n${heading}\n${citations.map((c) => `[${c.marker}] ${c.reference}`).join("\n")}`
    : data.answer;
  return {
    text: data.answer || "", abstained: !!data.abstained, citations,
    passages: Array.isArray(data.passages) ? data.passages : [],
    confidence: typeof data.confidence === "number" ? data.confidence : null,
    seconds: data.timings_ms && data.timings_ms.total ? data.timings_ms.total / 1000 : null,
    parts: Array.isArray(data.parts) ? data.parts : null, content,
    understood: typeof data.resolved_question === "string" ? data.resolved_question : null,
  };
}

function partText(part) {
  if (typeof part === "string") return part;
  return (part && (part.text || part.question || part.query)) || "";
}

function confidenceWord(x) {
  return x >= 0.7 ? "high" : x >= 0.4 ? "medium" : "low";
}

function markerButton(tok, ranges) {
  const c = tok.citation;
  const b = el("button", "marker");
  b.type = "button";
  b.append(el("span", "chip", String(tok.marker)));
  b.dataset.marker = String(tok.marker);
  if (!c) { b.disabled = true; return b; }
  const ref = humanRef(c);
  b.title = ref;
  b.setAttribute("aria-label", t("marker", { n: tok.marker, ref }));
  b.addEventListener("click", () => showPassage(c, tok.range ? [tok.range] : ranges, b));
  return b;
}

function renderTokens(target, tokens, parsed) {
  for (const tok of tokens) {
    if (tok.text !== undefined) target.append(document.createTextNode(tok.text));
    else target.append(markerButton(tok, tok.citation ? parsed.ranges.get(tok.marker) : []));
  }
}

function renderAnswerText(a) {
  const box = el("div", "answer-text");
  const parsed = parseAnswer(a.text, a.citations);
  if (parsed.lead) box.append(el("p", "lead", parsed.lead));
  const parts = a.parts && a.parts.length > 1 ? a.parts.map(partText) : null;
  const several = parsed.blocks.length > 1;
  if (parts && parts.length !== parsed.blocks.length) {
    box.append(el("p", "parts-intro", t("partsIntro", { n: parts.length })));
    const ol = el("ol", "parts-list");
    parts.forEach((p) => ol.append(el("li", "", p)));
    box.append(ol);
  }
  parsed.blocks.forEach((block, i) => {
    const wrap = several ? el("div", `part${block.missing ? " missing" : ""}`) : box;
    if (several) {
      const caption = block.heading || (parts && parts.length === parsed.blocks.length
        ? parts[i] : t("part", { n: i + 1 }));
      wrap.append(el("p", "part-title", caption));
    }
    let list = null;
    for (const line of block.lines) {
      if (line.item) {
        if (!list) { list = el("ul", "items"); wrap.append(list); }
        const li = el("li");
        renderTokens(li, line.tokens, parsed);
        list.append(li);
      } else {
        list = null;
        const p = el("p", block.missing && !several ? "missing-line" : "");
        renderTokens(p, line.tokens, parsed);
        wrap.append(p);
      }
    }
    if (several) box.append(wrap);
  });
  return { box, parsed };
}

function sourceItem(p, ranges, marker) {
  const li = el("li", "source");
  if (marker !== undefined) {
    const chip = el("span", "chip", String(marker));
    chip.setAttribute("aria-hidden", "true");
    li.append(chip);
  }
  const body = el("div", "source-body");
  const ref = humanRef(p);
  const open = el("button", "ref-button", ref);
  open.type = "button";
  if (marker !== undefined) open.setAttribute("aria-label", t("marker", { n: marker, ref }));
  open.addEventListener("click", () => showPassage(p, ranges, open));
  body.append(open);
  const [qo, qc] = lang === "fr" ? ["« ", " »"] : ["“", "”"];
  if (ranges.length) {
    for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
      body.append(el("p", "quote", `${qo}${p.text.slice(a, b)}${qc}`));
    }
  } else if (p.quote) {
    body.append(el("p", "quote", `${qo}${p.quote}${qc}`));
  } else {
    const text = String(p.text || "");
    body.append(el("p", "quote", text.length > 220 ? `${text.slice(0, 220)}…` : text));
  }
  const symbol = p.document && p.document.symbol;
  if (symbol) body.append(officialLink(symbol, ref));
  li.append(body);
  return li;
}

function plainText(a, parsed) {
  const lines = [a.text.trim()];
  const [qo, qc] = lang === "fr" ? ["« ", " »"] : ["“", "”"];
  const withUrl = (p) => (p.document && p.document.symbol ? ` — ${officialUrl(p.document.symbol)}` : "");
  if (a.citations.length) {
    lines.push("", t("sourcesHeading"));
    for (const c of a.citations) {
      const quotes = parsed.ranges.get(c.marker).map(([x, y]) => c.text.slice(x, y));
      const quote = quotes.length ? quotes.join(" […] ") : c.quote;
      lines.push(`[${c.marker}] ${humanRef(c)} — ${qo}${quote}${qc}${withUrl(c)}`);
    }
  } else if (a.passages.length) {
    lines.push("", `${t("closest")}${colon().trimEnd()}`);
    for (const p of a.passages.slice(0, 3)) lines.push(`- ${humanRef(p)}${withUrl(p)}`);
  }
  return lines.join("\n");
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (err) {
    const area = el("textarea", "copy-buffer");
    area.value = text;
    area.setAttribute("readonly", "");
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }
}

function renderTurn(turn) {
  const art = el("article", "turn");
  art.id = `turn-${turn.id}`;
  art.setAttribute("aria-labelledby", `q-${turn.id}`);
  const q = el("h3", "question");
  q.id = `q-${turn.id}`;
  const who = el("span", "who", t("question"));
  q.append(who, el("span", "question-text", turn.question));
  art.append(q);
  if (turn.status === "pending") {
    art.append(el("p", "progress", t("loading")));
  } else if (turn.status === "error") {
    art.append(errorBox(turn.error));
    const retry = el("button", "secondary retry", t("retry"));
    retry.type = "button";
    retry.addEventListener("click", () => {
      if (state.busy) return;
      state.turns = state.turns.filter((x) => x !== turn);
      turn.el.remove();
      ask(turn.question);
    });
    art.append(retry);
  } else {
    renderAnswerInto(art, turn);
  }
  return art;
}

function renderAnswerInto(art, turn) {
  const a = turn.answer;
  let parsed = { ranges: new Map(), blocks: [] };
  if (a.understood) { // how a follow-up was read from the conversation
    const u = el("p", "understood");
    u.append(document.createTextNode(`${t("understood")}${colon()}`), el("q", "", a.understood));
    art.append(u);
  }
  if (a.abstained) {
    const nf = el("p", "not-found", a.text || t("notFound"));
    art.append(nf);
    if (a.passages.length) {
      art.append(el("h4", "sources-title", t("closest")));
      const ul = el("ul", "sources closest");
      a.passages.slice(0, 3).forEach((p) => ul.append(sourceItem(p, [])));
      art.append(ul);
    }
  } else {
    const rendered = renderAnswerText(a);
    parsed = rendered.parsed;
    art.append(rendered.box);
    if (a.citations.length) {
      art.append(el("h4", "sources-title", t("sources")));
      const ol = el("ol", "sources");
      a.citations.forEach((c) => ol.append(sourceItem(c, parsed.ranges.get(c.marker), c.marker)));
      art.append(ol);
    }
  }
  const foot = el("div", "turn-foot");
  if (a.confidence !== null && !a.abstained) {
    const word = confidenceWord(a.confidence);
    const conf = el("span", `confidence ${word}`);
    conf.append(document.createTextNode(`${t("confidence")}${colon()}`), el("strong", "", t(word)));
    conf.title = t("confidenceTitle", { n: num(a.confidence, 2) });
    foot.append(conf);
  }
  if (a.seconds !== null) {
    foot.append(el("span", "time", a.seconds < 0.05 ? t("timeFast") : t("time", { s: num(a.seconds, 1) })));
  }
  const copy = el("button", "secondary copy", t("copy"));
  copy.type = "button";
  copy.setAttribute("aria-label", t("copyLabel"));
  copy.addEventListener("click", async () => {
    const ok = await copyText(plainText(a, parsed));
    copy.textContent = ok ? `${t("copied")} ✓` : t("copy");
    announce(ok ? t("copyDone") : t("copyFailed"));
    setTimeout(() => { copy.textContent = t("copy"); }, 2500);
  });
  foot.append(copy, linkButton(turn));
  art.append(foot);
}

function renderTurns() {
  const box = $("turns");
  box.replaceChildren();
  for (const turn of state.turns) {
    turn.el = renderTurn(turn);
    box.append(turn.el);
  }
  $("answer").hidden = state.turns.length === 0;
  const follow = state.turns.some((x) => x.status === "done");
  $("follow-hint").hidden = !follow;
  $("question").placeholder = t(follow ? "followPlaceholder" : "placeholder");
}

/** The turns before a follow-up, sent as `history` (named so as not to hide window.history). */
function conversationHistory(turns = state.turns) {
  const done = turns.filter((x) => x.status === "done").slice(-8);
  return done.flatMap((x) => [{ role: "user", content: x.question },
                              { role: "assistant", content: x.answer.content }]);
}

/** A /v1/ask body: the service writes its own sentences in the page's language, whatever the
 *  question's (the quotes stay as the documents write them). */
function askBody(question, previous) {
  const body = { question, language: lang };
  if (previous.length) body.history = previous;
  return body;
}

/** After a switch of language: the answers the server wrote in the other one are asked again
 *  in this one (same question and conversation); one that fails stays as it was. */
async function reaskInLanguage() {
  const want = lang;
  let changed = false;
  for (const turn of [...state.turns]) {
    if (turn.status !== "done" || !turn.raw || turn.raw.language === want) continue;
    const before = state.turns.slice(0, state.turns.indexOf(turn));
    let raw;
    try {
      raw = await api("/v1/ask", { json: askBody(turn.question, conversationHistory(before)) });
    } catch (err) {
      continue;
    }
    if (lang !== want) return;
    if (!state.turns.includes(turn) || raw.language !== want) continue;
    turn.raw = raw;
    turn.answer = fromAsk(raw);
    changed = true;
  }
  if (!changed || lang !== want) return;
  saveConversation();
  renderTurns();
  if (state.panel && !$("passage").hidden) renderPassage();
}

async function ask(question) {
  const previous = conversationHistory();
  rememberQuestion(question);
  pushRoute(askHash(question));
  closePassage(false);
  leaveReader();
  showView("ask");
  state.busy = true;
  $("submit").disabled = true;
  $("turns").setAttribute("aria-busy", "true");
  for (const x of state.turns) x.el.classList.add("stale");
  const turn = { id: ++turnIds, question, status: "pending" };
  state.turns.push(turn);
  turn.el = renderTurn(turn);
  $("turns").append(turn.el);
  $("answer").hidden = false;
  announce(t("loading"));
  turn.el.scrollIntoView({ behavior: motion(), block: "nearest" });
  try {
    // a follow-up goes with the conversation before it, resolved by the server; the same
    // endpoint as a first question, so its card shows confidence, time and passages too
    turn.raw = await api("/v1/ask", { json: askBody(question, previous) });
    turn.answer = fromAsk(turn.raw);
    turn.status = "done";
    saveConversation();
    $("question").value = "";
    announce(t("answered"));
  } catch (err) {
    turn.status = "error";
    turn.error = err;
    announce("");
  } finally {
    state.busy = false;
    $("submit").disabled = false;
    $("turns").removeAttribute("aria-busy");
    renderTurns();
    turn.el.scrollIntoView({ behavior: motion(), block: "start" });
  }
}

function newConversation() {
  state.turns = [];
  saveConversation();
  pushRoute("#/");
  closePassage(false);
  leaveReader();
  renderTurns();
  $("question").value = "";
  $("question").focus();
}

// -- passage panel --------------------------------------------------------------------

function highlightInto(container, text, ranges) {
  container.replaceChildren();
  const sorted = [...(ranges || [])].filter(Boolean).sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [start, end] of sorted) {
    if (start < at) continue;
    container.append(document.createTextNode(text.slice(at, start)));
    container.append(el("mark", "", text.slice(start, end)));
    at = end;
  }
  container.append(document.createTextNode(text.slice(at)));
}

function renderPassage() {
  const { p, ranges } = state.panel;
  const ref = humanRef(p);
  $("passage-ref").textContent = ref;
  $("passage-section").textContent = (p.section || []).slice(-2).join(" › ");
  highlightInto($("passage-text"), String(p.text || ""), ranges);
  setOfficial($("passage-official"), p.document && p.document.symbol, ref);
}

/** The drawer starts below the header while the header is on screen (it covers no button). */
function placePanel() {
  const bottom = document.querySelector("header").getBoundingClientRect().bottom;
  document.body.style.setProperty("--panel-top", `${Math.max(16, Math.round(bottom) + 12)}px`);
}

function showPassage(p, ranges, trigger) {
  document.querySelectorAll(".marker.active").forEach((b) => b.classList.remove("active"));
  if (trigger && trigger.classList.contains("marker")) trigger.classList.add("active");
  state.panel = { p, ranges: ranges || [], origin: originOf(trigger) };
  replaceRoute(passageHash(p));
  renderPassage();
  placePanel();
  $("passage").hidden = false;
  document.body.classList.add("panel-open");
  $("passage").scrollTop = 0;
  $("passage-ref").focus({ preventScroll: true });
  const mark = $("passage-text").querySelector("mark");
  if (mark && mark.offsetTop > $("passage").clientHeight * 0.6) {
    $("passage").scrollTop = mark.offsetTop - 80;
  }
}

/** Where a passage was opened from ({turn, marker}), to go back there after re-rendering;
 *  a trigger outside the answers (a document card field) only gets the focus back. */
function originOf(trigger) {
  const turn = trigger && trigger.closest && trigger.closest(".turn");
  if (!turn) return trigger && trigger.focus ? { turn: null, marker: "", el: trigger } : null;
  return { turn: turn.id, marker: trigger.dataset.marker || "", el: trigger };
}

function findOrigin(origin) {
  if (!origin) return null;
  if (origin.el && origin.el.isConnected) return origin.el;
  if (!origin.turn) return null;
  const turn = document.getElementById(origin.turn);
  if (!turn) return null;
  return (origin.marker && turn.querySelector(`.marker[data-marker="${origin.marker}"]`)) || turn;
}

function closePassage(restoreFocus) {
  if ($("passage").hidden) return;
  const trigger = findOrigin(state.panel && state.panel.origin);
  $("passage").hidden = true;
  document.body.classList.remove("panel-open");
  document.querySelectorAll(".marker.active").forEach((b) => b.classList.remove("active"));
  if (location.hash.startsWith("#/passage/")) replaceRoute(state.viewHash);
  if (restoreFocus && trigger) {
    if (!trigger.matches("button, a")) trigger.setAttribute("tabindex", "-1");
    trigger.focus();
  }
}

// -- documents ------------------------------------------------------------------------

function showView(name) {
  $("view-ask").hidden = name !== "ask";
  $("view-docs").hidden = name !== "docs";
  $("nav-ask").toggleAttribute("aria-current", false);
  $("browse").toggleAttribute("aria-current", false);
  (name === "ask" ? $("nav-ask") : $("browse")).setAttribute("aria-current", "page");
}

function leaveReader() {
  state.reader = null;
  $("paragraphs").replaceChildren();
  $("doc-reader").hidden = true;
  $("doc-list-pane").hidden = false;
}

async function openDocuments() {
  closePassage(false);
  pushRoute("#/documents");
  leaveReader();
  showView("docs");
  window.scrollTo(0, 0);
  $("docs-title").focus({ preventScroll: true });
  await loadDocuments();
}

async function loadDocuments() {
  $("docs-error").replaceChildren();
  $("docs-loading").hidden = false;
  try {
    const data = await api("/v1/documents");
    state.documents = Array.isArray(data.documents) ? data.documents : [];
    renderDocuments();
  } catch (err) {
    showError($("docs-error"), err);
  } finally {
    $("docs-loading").hidden = true;
  }
}

/** "2021-10-19" → "19 octobre 2021" / "19 October 2021" (other forms unchanged). */
function longDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text || "")) return text;
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" })
    .format(new Date(`${text}T00:00:00Z`));
}

function renderDocuments() {
  const list = $("document-list");
  list.replaceChildren();
  for (const d of state.documents || []) {
    const li = el("li");
    const b = el("button", "doc-item");
    b.type = "button";
    b.dataset.id = d.id;
    b.append(el("span", "doc-ref", d.reference || d.id));
    if (d.title && d.title !== d.reference) b.append(el("span", "doc-title", d.title));
    const meta = [longDate(d.date), d.author, t("passages", { n: d.passages })]
      .filter(Boolean).join(" · ");
    b.append(el("span", "doc-meta", meta));
    b.addEventListener("click", () => showDocument(d.id, null, [], null));
    li.append(b);
    list.append(li);
  }
}

async function showDocument(docId, passageId, ranges, returnTo) {
  closePassage(false);
  pushRoute(`#/document/${encodeURIComponent(docId)}`);
  showView("docs");
  $("doc-list-pane").hidden = true;
  $("doc-reader").hidden = false;
  $("reader-error").replaceChildren();
  $("paragraphs").replaceChildren();
  $("document-title").textContent = "";
  $("reader-ref").textContent = "";
  $("document-meta").textContent = "";
  $("document-card").replaceChildren();
  $("card-box").hidden = true;
  $("doc-official").hidden = true;
  const token = ++readerLoads;
  state.reader = { d: null, passageId, ranges, returnTo, token };
  renderReaderBar();
  window.scrollTo(0, 0);
  let d;
  try {
    d = await api(`/v1/documents/${encodeURIComponent(docId)}`);
  } catch (err) {
    if (state.reader && state.reader.token === token) showError($("reader-error"), err);
    return;
  }
  if (!state.reader || state.reader.token !== token) return; // left meanwhile
  state.reader.d = d;
  renderReader();
  const target = passageId && document.getElementById(`para-${passageId}`);
  $("document-title").focus({ preventScroll: true });
  if (target) target.scrollIntoView({ behavior: "auto", block: "center" });
}

function renderReaderBar() {
  const r = state.reader;
  $("doc-back").textContent = r && findOrigin(r.returnTo) ? t("backAnswer") : t("backList");
}

function readerLabel(p) {
  const label = String(p.paragraph || "");
  if (/-w\d+$/.test(p.passage_id)) return ""; // continuation of a long paragraph
  if (p.kind === "paragraph" && /^\d/.test(label)) return label;
  const m = label.match(/^note (\d+)$/);
  if (m) return t("noteShort", { n: m[1] });
  return "";
}

function renderReader() {
  const { d, passageId, ranges } = state.reader;
  renderReaderBar();
  $("document-title").textContent = d.reference;
  $("reader-ref").textContent = d.reference;
  $("document-meta").textContent = [d.title !== d.reference ? d.title : "", longDate(d.date),
    d.author]
    .filter(Boolean).join(" · ");
  setOfficial($("doc-official"), d.symbol, d.reference);
  renderCard(d);
  const box = $("paragraphs");
  box.replaceChildren();
  let heading = "";
  for (const p of d.passage_list || []) {
    const section = (p.section || [])[(p.section || []).length - 1] || "";
    if (section && section !== heading && p.kind !== "title" && p.kind !== "footnote") {
      heading = section;
      box.append(el("h3", "doc-section", section));
    }
    if (p.kind === "title") heading = section;
    const div = el("div", `para ${p.kind || ""}${p.passage_id === passageId ? " current" : ""}`);
    div.id = `para-${p.passage_id}`;
    const label = readerLabel(p);
    if (label) div.append(el("span", "label", label));
    const text = el("span", "para-text");
    if (p.passage_id === passageId) highlightInto(text, p.text, ranges);
    else text.textContent = p.text;
    div.append(text);
    box.append(div);
  }
}

/** The document card: a definition list of its fields, each value opening the passage it
 *  was read from (the panel, as a citation opens), the printed value marked. */
function renderCard(d) {
  const list = $("document-card");
  list.replaceChildren();
  const fields = (d.card && Array.isArray(d.card.fields)) ? d.card.fields : [];
  const passages = new Map((d.passage_list || []).map((p) => [p.passage_id, p]));
  let last = "";
  for (const f of fields) {
    const label = I18N[lang][`field_${f.name}`] || f.name;
    if (f.name !== last) list.append(el("dt", "", label));
    last = f.name;
    const dd = el("dd");
    const item = f.passage_id && passages.get(f.passage_id);
    if (item) {
      const b = el("button", "ref-button", f.value);
      b.type = "button";
      b.setAttribute("aria-label", t("openField", { field: label, value: f.value }));
      b.addEventListener("click", () => showPassage(cardPassage(d, item), fieldRanges(f, item), b));
      dd.append(b);
    } else {
      dd.append(document.createTextNode(f.value));
    }
    const how = [f.source === "inferred" ? t("inferred") : "",
      f.source === "catalogue" ? t("fromCatalogue") : "", cardNote(f.note)].filter(Boolean);
    if (how.length) dd.append(el("span", "card-note", ` (${how.join(" — ")})`));
    list.append(dd);
  }
  $("card-box").hidden = fields.length === 0;
}

/** How the server says a card value was read (rag.cards, in English) in the page's words. */
function cardNote(note) {
  const text = String(note || "");
  let m;
  if ((m = text.match(/^year from (.+)$/))) return t("noteYearFrom", { what: cardNote(m[1]) });
  if ((m = text.match(/^the symbol (.+)$/))) return t("noteSymbol", { symbol: m[1] });
  if ((m = text.match(/^the date of the document \((.+)\)$/))) {
    return t("noteDocDate", { date: m[1] });
  }
  if ((m = text.match(/^the text prints (« .+ »)$/))) return t("notePrints", { value: m[1] });
  if (text === "the text prints no other date than its distribution date") {
    return t("noteOnlyDistribution");
  }
  return text;
}

/** A passage of the reader's document in the shape the panel shows (a citation's). */
function cardPassage(d, item) {
  return { ...item, document: { id: d.id, symbol: d.symbol, title: d.title, date: d.date } };
}

/** Where the field's value (or, overridden by the catalogue, the printed one) is in the text. */
function fieldRanges(f, item) {
  const text = String(item.text || "");
  const printed = (String(f.note || "").match(/« (.+) »/) || [])[1];
  for (const value of [f.value, printed]) {
    const at = value ? text.indexOf(value) : -1;
    if (at >= 0) return [[at, at + value.length]];
  }
  return [];
}

function readerBack() {
  const r = state.reader;
  const back = r && findOrigin(r.returnTo);
  if (back) {
    leaveReader();
    pushRoute(lastAskHash());
    showView("ask");
    if (!back.matches("button, a")) back.setAttribute("tabindex", "-1");
    back.scrollIntoView({ behavior: "auto", block: "center" });
    back.focus({ preventScroll: true });
  } else {
    leaveReader();
    pushRoute("#/documents");
    window.scrollTo(0, 0);
    $("docs-title").focus({ preventScroll: true });
    if (!state.documents) loadDocuments();
  }
}

function renderUpload() {
  const box = $("upload-result");
  box.replaceChildren();
  const u = state.upload;
  if (!u) return;
  if (u.progress) { box.append(el("p", "progress", t("uploading"))); return; }
  if (u.error) { box.append(errorBox(u.error)); return; }
  if (u.pick) { box.append(errorBox(null, t("uploadPick"))); return; }
  const r = u.report;
  const ok = el("div", "success");
  const changes = Array.isArray(r.changes) ? r.changes : [];
  if (changes.length) {
    const ul = el("ul");
    for (const c of changes) {
      const action = I18N[lang][c.action] ? t(c.action) : c.action;
      ul.append(el("li", "", `${c.file}${colon()}${action}`));
    }
    ok.append(ul);
  }
  ok.append(el("p", "", r.rebuilt ? t("uploadDone", { s: num(r.seconds || 0, 1) }) : t("uploadNothing")));
  box.append(ok);
}

function showFileNames() {
  const files = [...($("upload-file").files || [])];
  $("upload-names").textContent = files.length ? files.map((f) => f.name).join(", ") : t("noFile");
  if (files.length && state.upload && state.upload.pick) {  // the "choose a file" error is over
    state.upload = null;
    renderUpload();
  }
}

function showQuestionLength() {
  const input = $("question");
  const used = input.value.length;
  const limit = input.maxLength;
  const counter = $("question-count");
  counter.hidden = used < limit * 0.8;  // said only when the limit is near
  counter.textContent = t("chars", { n: used, max: limit });
  counter.classList.toggle("at-limit", used >= limit);
}

async function upload(e) {
  e.preventDefault();
  const files = $("upload-file").files;
  if (!files || !files.length) {
    state.upload = { pick: true };
    renderUpload();
    return;
  }
  const form = new FormData();
  for (const f of files) form.append("file", f, f.name);
  $("upload-submit").disabled = true;
  state.upload = { progress: true };
  renderUpload();
  try {
    state.upload = { report: await api("/v1/documents", { form }) };
    $("upload-file").value = "";
    showFileNames();
    await loadDocuments();
  } catch (err) {
    state.upload = { error: err };
  } finally {
    $("upload-submit").disabled = false;
    renderUpload();
  }
}

// -- kept in the browser: the conversation and the questions asked ------------------

const PAST_MAX = 50;

function store(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (err) { /* full or refused: the page works without it */ }
}

function stored(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key) || "null");
    return Array.isArray(value) ? value : [];
  } catch (err) {
    return [];
  }
}

/** The answered turns, with the server's answer as it came (re-rendered after a reload). */
function saveConversation() {
  const done = state.turns.filter((x) => x.status === "done" && x.raw);
  store("conversation", done.map((x) => ({ question: x.question, answer: x.raw })));
}

function restoreConversation() {
  for (const x of stored("conversation")) {
    if (!x || typeof x.question !== "string" || !x.answer || typeof x.answer !== "object") continue;
    state.turns.push({ id: ++turnIds, question: x.question, status: "done", raw: x.answer,
      answer: fromAsk(x.answer) });
  }
}

function rememberQuestion(question) {
  const past = stored("questions").filter((q) => q !== question);
  store("questions", [question, ...past].slice(0, PAST_MAX));
  renderPast();
}

/** Earlier questions, most recent first; a click asks one again. */
function renderPast() {
  const past = stored("questions");
  const list = $("past-list");
  list.replaceChildren();
  for (const q of past) {
    const b = el("button", "past-item", q);
    b.type = "button";
    b.addEventListener("click", () => { if (!state.busy) ask(q); });
    const li = el("li");
    li.append(b);
    list.append(li);
  }
  $("past").hidden = past.length === 0;
}

function clearHistory() {
  localStorage.removeItem("questions");
  newConversation();
  renderPast();
  announce(t("historyCleared"));
}

// -- routes: #/ask?q=…, #/passage/<id>?d=<doc>, #/document/<id>, #/documents ----------

const askHash = (question) => `#/ask?q=${encodeURIComponent(question)}`;
const passageHash = (p) => `#/passage/${encodeURIComponent(p.passage_id || "")}?d=${
  encodeURIComponent((p.document && p.document.id) || "")}`;
const sameHash = (hash) => new URL(hash, location.href).hash === location.hash;

function lastAskHash() {
  const done = state.turns.filter((x) => x.status === "done");
  return done.length ? askHash(done[done.length - 1].question) : "#/";
}

/** A new history entry for a view the user opened (nothing when it is already the URL). */
function pushRoute(hash) {
  if (!hash.startsWith("#/passage/")) state.viewHash = hash;
  if (sameHash(hash)) return;
  history.pushState(null, "", hash);
  state.routed = location.hash;
}

/** The passage panel changes the URL without a history entry (Back closes the view under it). */
function replaceRoute(hash) {
  if (sameHash(hash)) return;
  history.replaceState(null, "", hash);
  state.routed = location.hash;
}

function onLocationChange() {
  if (location.hash !== state.routed) route(location.hash);
}

function parseHash(hash) {
  const [path, query] = String(hash || "").replace(/^#\/?/, "").split("?");
  const parts = path.split("/").map((x) => decodeURIComponent(x));
  return { name: parts[0] || "", arg: parts.slice(1).join("/"), params: new URLSearchParams(query || "") };
}

/** Shows what the URL names: Back, Forward, a shared link or a reload. */
function route(hash) {
  state.routed = location.hash;
  const r = parseHash(hash);
  if (r.name !== "passage") state.viewHash = hash || "#/";
  if (r.name === "documents") openDocuments();
  else if (r.name === "document" && r.arg) showDocument(r.arg, null, [], null);
  else if (r.name === "passage" && r.arg) openPassageRoute(r.arg, r.params.get("d") || "");
  else if (r.name === "ask" && r.params.get("q")) showAsked(r.params.get("q"));
  else showAskView();
}

function showAskView() {
  closePassage(false);
  leaveReader();
  showView("ask");
}

/** The card of that question when the conversation has it, else the question asked. */
function showAsked(question) {
  const turn = state.turns.find((x) => x.question === question && x.status === "done");
  if (!turn) {
    if (!state.busy) ask(question);
    return;
  }
  showAskView();
  if (turn.el) turn.el.scrollIntoView({ behavior: "auto", block: "start" });
}

/** A passage of the conversation (its sentences marked), else read from its document. */
async function openPassageRoute(passageId, docId) {
  for (const turn of state.turns.filter((x) => x.status === "done")) {
    const a = turn.answer;
    const c = a.citations.find((x) => x.passage_id === passageId);
    if (c) {
      showAskView();
      showPassage(c, parseAnswer(a.text, a.citations).ranges.get(c.marker), null);
      return;
    }
    const p = a.passages.find((x) => x.passage_id === passageId);
    if (p) { showAskView(); showPassage(p, [], null); return; }
  }
  if (!docId) { showAskView(); return; }
  try {
    const d = await api(`/v1/documents/${encodeURIComponent(docId)}`);
    const item = (d.passage_list || []).find((x) => x.passage_id === passageId);
    if (item) showPassage(cardPassage(d, item), [], null);
  } catch (err) {
    announce(errorText(err));
  }
}

/** The link of an answer: its question (as understood, for a follow-up) in the URL. */
function linkButton(turn) {
  const a = el("a", "secondary link", t("link"));
  a.href = askHash(turn.answer.understood || turn.question);
  a.setAttribute("aria-label", t("linkLabel"));
  a.addEventListener("click", async (e) => {
    e.preventDefault();
    const url = a.href;
    const ok = await copyText(url);
    announce(ok ? t("linkCopied", { url }) : url);
  });
  return a;
}

/** Enter in the key field: the question the key was asked for is asked again with it. */
function submitKey(e) {
  e.preventDefault();
  const last = state.turns[state.turns.length - 1];
  if (last && last.status === "error" && !state.busy) {
    state.turns.pop();
    last.el.remove();
    ask(last.question);
  } else {
    $("question").focus();
  }
}

// -- language -------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = lang;
  document.title = t("pageTitle");
  document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
  document.querySelectorAll("[data-i18n-aria]").forEach((e) => {
    e.setAttribute("aria-label", t(e.dataset.i18nAria));
  });
  document.querySelectorAll("[data-i18n-title]").forEach((e) => { e.title = t(e.dataset.i18nTitle); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((e) => {
    e.placeholder = t(e.dataset.i18nPlaceholder);
  });
  const b = $("lang"); // visible "EN", spoken "EN – English interface"
  b.replaceChildren(t("langButton"), el("span", "sr-only", ` – ${t("langLabel")}`));
  b.lang = t("langCode");
  renderTurns();
  renderPast();
  if (state.panel && !$("passage").hidden) renderPassage();
  if (state.documents) renderDocuments();
  if (state.reader && state.reader.d) renderReader();
  else renderReaderBar();
  renderUpload();
  showFileNames();
}

// -- wiring ---------------------------------------------------------------------------

$("ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const question = $("question").value.trim();
  if (!question || state.busy) return;
  ask(question);
});
$("new-conversation").addEventListener("click", newConversation);
$("close-passage").addEventListener("click", () => closePassage(true));
$("open-document").addEventListener("click", () => {
  const panel = state.panel;
  if (!panel) return;
  const origin = panel.origin && panel.origin.turn ? panel.origin : null;
  showDocument(panel.p.document.id, panel.p.passage_id, panel.ranges, origin);
});
$("doc-back").addEventListener("click", readerBack);
$("nav-ask").addEventListener("click", () => {
  closePassage(false);
  pushRoute(lastAskHash());
  leaveReader();
  showView("ask");
  $("question").focus();
});
$("browse").addEventListener("click", openDocuments);
$("upload-form").addEventListener("submit", upload);
$("upload-file").addEventListener("change", showFileNames);
$("question").addEventListener("input", showQuestionLength);
$("key-row").addEventListener("submit", submitKey);
$("clear-history").addEventListener("click", clearHistory);
window.addEventListener("popstate", onLocationChange);
window.addEventListener("hashchange", onLocationChange);
$("clear-key").addEventListener("click", () => {
  localStorage.removeItem("apiKey");
  $("api-key").value = "";
  announce(t("keyCleared"));
  $("api-key").focus();
});
$("lang").addEventListener("click", () => {
  lang = lang === "fr" ? "en" : "fr";
  localStorage.setItem("lang", lang);
  applyLanguage();
  reaskInLanguage();
});
const keepPanelPlaced = () => { if (!$("passage").hidden) placePanel(); };
window.addEventListener("scroll", keepPanelPlaced, { passive: true });
window.addEventListener("resize", keepPanelPlaced);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !$("passage").hidden) {
    e.preventDefault();
    closePassage(true);
  }
});

if (localStorage.getItem("apiKey")) {
  $("api-key").value = localStorage.getItem("apiKey");
  showKeyRow(false);
}
restoreConversation();
applyLanguage();
route(location.hash);
reaskInLanguage(); // answers kept from a visit in the other language
