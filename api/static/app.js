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
    field_distribution: "Distribution", field_job_number: "Numéro de travail",
    field_sender: "Expéditeur", field_signatory: "Signataire", field_addressee: "Destinataire",
    field_enclosure: "Pièce transmise",
    field_agenda_item: "Point de l’ordre du jour", field_meeting_date: "Date de la séance",
    field_meeting_theme: "Thème de la séance", field_presidency: "Présidence",
    errNetwork: "Impossible de joindre le serveur. Vérifiez la connexion puis réessayez.",
    errInvalid: "Le serveur a renvoyé une réponse illisible. Réessayez.",
    err400: "La demande n’a pas été acceptée.", err401: "Cette instance demande une clé d’API : saisissez-la ci-dessous puis appuyez sur Entrée.",
    err401Wrong: "La clé d’API saisie est refusée : vérifiez-la ci-dessous puis appuyez sur Entrée.",
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
    more: "Lire la suite", less: "Réduire",
    feedbackGroup: "Votre avis sur cette réponse", feedbackUp: "Bonne réponse",
    feedbackDown: "Réponse fausse ou incomplète", feedbackComment: "Commentaire (facultatif)",
    feedbackPlaceholder: "Ce qui est faux ou ce qui manque…", feedbackSend: "Envoyer l’avis",
    feedbackSent: "Avis envoyé", feedbackThanks: "Merci : votre avis est enregistré.",
    err507: "Le serveur ne peut plus enregistrer d’avis (stockage plein) : prévenez l’administrateur.",
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
    field_distribution: "Distribution", field_job_number: "Job number",
    field_sender: "Sender", field_signatory: "Signatory", field_addressee: "Addressee",
    field_enclosure: "Enclosure",
    field_agenda_item: "Agenda item", field_meeting_date: "Meeting date",
    field_meeting_theme: "Meeting theme", field_presidency: "Presidency",
    errNetwork: "Cannot reach the server. Check the connection and try again.",
    errInvalid: "The server sent an unreadable reply. Try again.",
    err400: "The request was not accepted.", err401: "This server needs an API key: enter it below and press Enter.",
    err401Wrong: "The API key entered was refused: check it below and press Enter.",
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
    more: "Show more", less: "Show less",
    feedbackGroup: "Your opinion of this answer", feedbackUp: "Good answer",
    feedbackDown: "Wrong or incomplete answer", feedbackComment: "Comment (optional)",
    feedbackPlaceholder: "What is wrong or missing…", feedbackSend: "Send feedback",
    feedbackSent: "Feedback sent", feedbackThanks: "Thank you: your feedback is recorded.",
    err507: "The server cannot store more feedback (storage full): tell the administrator.",
  },
};

// the strings of the search's scope, the documents view's tools and delete (issue 25, point 3)
const STEER_I18N = {
  fr: {
    scopeOnly: "Seulement dans\u00a0:", scopePick: "Limiter aux documents…",
    scopeLegend: "Chercher seulement dans ces documents", scopeFilter: "Filtrer les documents",
    scopeRemove: "Retirer {name} (chercher aussi dans les autres documents)",
    scopeAdded: "Les questions portent seulement sur : {names}.",
    scopeRemoved: "{name} retiré. {rest}", scopeAll: "Les questions portent sur tous les documents.",
    limitedTo: "Limité à", askHere: "Demander dans ce document", askHereLabel: "Demander dans ce document : {name}",
    searchDocs: "Rechercher un document", searchHint: "Cote, titre, auteur, date…",
    sortBy: "Trier par", sortNewest: "Date, les plus récents d’abord",
    sortOldest: "Date, les plus anciens d’abord", sortSymbol: "Cote",
    docCount: "{n} documents", docCountOne: "1 document", docCountOf: "{n} documents sur {total}",
    docCountOneOf: "1 document sur {total}", noMatch: "Aucun document ne correspond à « {q} ».",
    deleteDoc: "Supprimer", deleteLabel: "Supprimer {name}", deleteTitle: "Supprimer ce document ?",
    deleteText: "« {name} » sera retiré des documents et de l’index\u00a0: les questions suivantes ne le citeront plus.",
    cancel: "Annuler", deleteConfirm: "Supprimer", deleting: "Suppression et mise à jour de l’index…",
    deleteDone: "{name} retiré. Index mis à jour en {s}\u00a0s\u00a0; {n} documents restent.",
  },
  en: {
    scopeOnly: "Only in:", scopePick: "Limit to documents…",
    scopeLegend: "Search only these documents", scopeFilter: "Filter the documents",
    scopeRemove: "Remove {name} (search the other documents too)",
    scopeAdded: "Questions now search only: {names}.",
    scopeRemoved: "{name} removed. {rest}", scopeAll: "Questions search all the documents.",
    limitedTo: "Limited to", askHere: "Ask in this document", askHereLabel: "Ask in this document: {name}",
    searchDocs: "Search the documents", searchHint: "Symbol, title, author, date…",
    sortBy: "Sort by", sortNewest: "Date, newest first", sortOldest: "Date, oldest first",
    sortSymbol: "Symbol",
    docCount: "{n} documents", docCountOne: "1 document", docCountOf: "{n} of {total} documents",
    docCountOneOf: "1 of {total} documents", noMatch: "No document matches “{q}”.",
    deleteDoc: "Delete", deleteLabel: "Delete {name}", deleteTitle: "Delete this document?",
    deleteText: "“{name}” will be removed from the documents and the index: the next questions will not cite it.",
    cancel: "Cancel", deleteConfirm: "Delete", deleting: "Deleting and updating the index…",
    deleteDone: "{name} removed. Index updated in {s} s; {n} documents remain.",
  },
};
for (const code of Object.keys(STEER_I18N)) Object.assign(I18N[code], STEER_I18N[code]);

const $ = (id) => document.getElementById(id);
// the key field moves next to the error it answers: held here, since a moved-out (detached)
// element is not found by id
const keyRow = $("key-row");
const keyInput = $("api-key");
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
const quoteMarks = () => (lang === "fr" ? ["« ", " »"] : ["“", "”"]);
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
  scope: [], // ids of the documents the next question is limited to (the chips)
  docQuery: "", // the documents view's search and sort
  docSort: "newest",
  deleting: null, // the document the delete dialog asks about
  docsChange: null, // the last delete: {progress}, {report, name} or {error}
  upload: null, // {report} or {error}
  viewHash: "#/", // the route of the view under the passage panel
  routed: null, // the last hash handled, so popstate and hashchange route it once
};
let turnIds = 0;
let readerLoads = 0;

// -- requests -------------------------------------------------------------------------

class RequestError extends Error {
  constructor(kind, status, detail, keySent, language) {
    super(`${kind} ${status}`);
    this.kind = kind; // network | http | invalid
    this.status = status;
    this.detail = detail || "";
    this.keySent = !!keySent; // a 401 with a key: that key is wrong
    this.language = language || ""; // of the detail (the response's Content-Language)
  }
}

function apiKey() {
  return keyInput.value.trim() || localStorage.getItem("apiKey") || "";
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
    res = await fetch(path, { method: options.method || (body ? "POST" : "GET"), headers, body });
  } catch (err) {
    throw new RequestError("network", 0);
  }
  let data = null;
  try { data = await res.json(); } catch (err) { data = null; }
  if (!res.ok) {
    if (res.status === 401) showKeyRow(false);
    const message = data && data.error && typeof data.error.message === "string"
      ? data.error.message : "";
    throw new RequestError("http", res.status, message, !!key,
      res.headers.get("Content-Language"));
  }
  if (data === null || typeof data !== "object") throw new RequestError("invalid", res.status);
  if (key) localStorage.setItem("apiKey", key);
  return data;
}

function errorText(err) {
  if (!(err instanceof RequestError)) return t("errOther", { n: "?" });
  if (err.kind === "network") return t("errNetwork");
  if (err.kind === "invalid") return t("errInvalid");
  if (err.status === 401 && err.keySent) return t("err401Wrong");
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
  if (err && err.status === 401) placeKeyRow(container);
  focusKeyAfter(err);
}

/** After a new 401, the focus goes to the key field shown beside the error. */
function focusKeyAfter(err) {
  if (err && err.status === 401) keyInput.focus({ preventScroll: true });
}

function announce(text) {
  $("status").textContent = "";
  $("status").textContent = text;
}

function showKeyRow(focus) {
  keyRow.hidden = false;
  if (focus) keyInput.focus();
}

/** The key field goes right after the "key needed / refused" error it answers (else back to
 *  the top of the page); a fresh error then puts the focus in it (focusKeyAfter). */
function placeKeyRow(after) {
  const row = keyRow;
  if (after) {
    if (after.nextElementSibling !== row) after.after(row);
    showKeyRow(false);
  } else if ($("view-ask").previousElementSibling !== row) {
    $("view-ask").before(row);
  }
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
    closest: Array.isArray(data.closest) ? data.closest : [], // shown under an abstention
    confidence: typeof data.confidence === "number" ? data.confidence : null,
    seconds: data.timings_ms && data.timings_ms.total ? data.timings_ms.total / 1000 : null,
    parts: Array.isArray(data.parts) ? data.parts : null, content,
    kind: typeof data.kind === "string" ? data.kind : "",
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
  // captions for the parts of a question, or one per document; a direct reply and the
  // sentences that support it are one answer (no "Partie 1", "Partie 2")
  const several = parsed.blocks.length > 1 && (!!parts || a.kind === "multi_part"
    || parsed.blocks.some((b) => b.heading || b.missing));
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
  if (ranges.length) {
    for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
      body.append(quoteBlock(p.text.slice(a, b)));
    }
  } else {
    body.append(quoteBlock(String(p.quote || p.text || "")));
  }
  const symbol = p.document && p.document.symbol;
  if (symbol) body.append(officialLink(symbol, ref));
  li.append(body);
  return li;
}

const QUOTE_SHOWN = 240; // characters of a long quote shown before "Lire la suite"

/** A quote in the page's quotation marks: whole when short, else its first words (cut between
 *  two words) and a button that shows the rest (the whole quote is printed). */
function quoteBlock(text) {
  const [qo, qc] = quoteMarks();
  const box = el("p", "quote");
  if (text.length <= QUOTE_SHOWN + 60) {
    box.textContent = `${qo}${text}${qc}`;
    return box;
  }
  const cut = text.lastIndexOf(" ", QUOTE_SHOWN);
  const head = text.slice(0, cut > QUOTE_SHOWN / 2 ? cut : QUOTE_SHOWN).replace(/[\s,;:.(«“-]+$/, "");
  const short = el("span", "quote-short", `${qo}${head}…`);
  const full = el("span", "quote-full", `${qo}${text}${qc}`);
  full.hidden = true;
  const more = el("button", "more", t("more"));
  more.type = "button";
  more.setAttribute("aria-expanded", "false");
  more.addEventListener("click", () => {
    const open = full.hidden;
    full.hidden = !open;
    short.hidden = open;
    more.textContent = t(open ? "less" : "more");
    more.setAttribute("aria-expanded", String(open));
  });
  box.append(short, full, more);
  return box;
}

function plainText(a, parsed) {
  const lines = [a.text.trim()];
  const [qo, qc] = quoteMarks();
  const withUrl = (p) => (p.document && p.document.symbol ? ` — ${officialUrl(p.document.symbol)}` : "");
  if (a.citations.length) {
    lines.push("", t("sourcesHeading"));
    for (const c of a.citations) {
      const quotes = parsed.ranges.get(c.marker).map(([x, y]) => c.text.slice(x, y));
      const quote = quotes.length ? quotes.join(" […] ") : c.quote;
      lines.push(`[${c.marker}] ${humanRef(c)} — ${qo}${quote}${qc}${withUrl(c)}`);
    }
  } else if (a.closest.length) {
    lines.push("", `${t("closest")}${colon().trimEnd()}`);
    for (const p of a.closest) lines.push(`- ${humanRef(p)}${withUrl(p)}`);
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
  if (turn.scope && turn.scope.length) art.append(scopeNote(turn.scope));
  if (turn.status === "pending") {
    art.append(el("p", "progress", t("loading")));
  } else if (turn.status === "error") {
    art.append(errorBox(turn.error));
    if (turn.error && turn.error.status === 401) art.append(el("div", "key-slot"));
    const retry = el("button", "secondary retry", t("retry"));
    retry.type = "button";
    retry.addEventListener("click", () => {
      if (state.busy) return;
      state.turns = state.turns.filter((x) => x !== turn);
      placeKeyRow(null);
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
    const [qo, qc] = quoteMarks();
    u.append(document.createTextNode(`${t("understood")}${colon()}`),
      el("span", "as-understood", `${qo}${a.understood}${qc}`));
    art.append(u);
  }
  if (a.abstained) {
    const nf = el("p", "not-found", a.text || t("notFound"));
    art.append(nf);
    if (a.closest.length) {
      art.append(el("h4", "sources-title", t("closest")));
      const ul = el("ul", "sources closest");
      a.closest.forEach((p) => ul.append(sourceItem(p, [])));
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
  addFeedback(turn, foot, art);
}

function renderTurns() {
  const box = $("turns");
  placeKeyRow(null); // out of the cards about to be replaced
  box.replaceChildren();
  for (const turn of state.turns) {
    turn.el = renderTurn(turn);
    box.append(turn.el);
  }
  $("answer").hidden = state.turns.length === 0;
  const slot = box.querySelector(".turn:last-child .key-slot");
  if (slot) placeKeyRow(slot); else placeKeyRow(null);
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
function askBody(question, previous, scope) {
  const body = { question, language: lang };
  if (previous.length) body.history = previous;
  if (scope && scope.length) body.documents = scope;
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
      raw = await api("/v1/ask", {
        json: askBody(turn.question, conversationHistory(before), turn.scope) });
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
  pushRoute(askHash(question, state.scope));
  closePassage(false);
  leaveReader();
  showView("ask");
  state.busy = true;
  $("submit").disabled = true;
  $("turns").setAttribute("aria-busy", "true");
  for (const x of state.turns) x.el.classList.add("stale");
  const scope = [...state.scope]; // the chips: this question's documents, and its follow-ups'
  const turn = { id: ++turnIds, answerId: newAnswerId(), question, status: "pending", scope };
  state.turns.push(turn);
  turn.el = renderTurn(turn);
  $("turns").append(turn.el);
  $("answer").hidden = false;
  announce(t("loading"));
  turn.el.scrollIntoView({ behavior: motion(), block: "nearest" });
  try {
    // a follow-up goes with the conversation before it, resolved by the server; the same
    // endpoint as a first question, so its card shows confidence, time and passages too
    turn.raw = await api("/v1/ask", { json: askBody(question, previous, scope) });
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
    focusKeyAfter(turn.error);
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

// -- feedback: 👍 / 👎 and a comment on an answer, for the evaluators ------------------

// thumb up and thumb down (Material icons, Apache 2.0): drawn, as a system may lack emoji
const THUMBS = {
  up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
  down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
};

function thumb(verdict) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of [["viewBox", "0 0 24 24"], ["width", "20"], ["height", "20"],
    ["aria-hidden", "true"], ["focusable", "false"]]) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", THUMBS[verdict]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

const newAnswerId = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);

/** A verdict kept with the conversation ({verdict, comment, sent}), or null. */
function keptFeedback(f) {
  if (!f || (f.verdict !== "up" && f.verdict !== "down")) return null;
  return { verdict: f.verdict, comment: String(f.comment || ""), sent: !!f.sent };
}

/** What POST /v1/feedback stores: the question with the turns it followed, the answer as
 *  the server gave it, the verdict and the comment. */
function feedbackBody(turn, comment) {
  const raw = turn.raw || {};
  const before = state.turns.slice(0, Math.max(0, state.turns.indexOf(turn)))
    .filter((x) => x.status === "done").slice(-8);
  const body = { verdict: turn.feedback.verdict, question: turn.question, answer_id: turn.answerId,
    answer: String(raw.answer || ""), abstained: !!raw.abstained,
    citations: (Array.isArray(raw.citations) ? raw.citations : []).map((c) => ({
      marker: c.marker, passage_id: c.passage_id, reference: c.reference, quote: c.quote })) };
  if (before.length) {
    body.history = before.flatMap((x) => [{ role: "user", content: x.question },
                                          { role: "assistant", content: x.answer.content }]);
  }
  if (comment) body.comment = comment;
  for (const k of ["resolved_question", "kind", "composer"]) if (typeof raw[k] === "string") body[k] = raw[k];
  if (raw.language === "fr" || raw.language === "en") body.language = raw.language;
  if (typeof raw.confidence === "number") body.confidence = raw.confidence;
  return body;
}

/** 👍 / 👎 in the answer's footer; a choice opens a comment field and a send button below
 *  it; once sent, "Avis envoyé". A second click on the chosen one takes it back (unsent). */
function addFeedback(turn, foot, art) {
  const group = el("div", "feedback");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t("feedbackGroup"));
  const area = el("div", "feedback-area");
  const buttons = [["up", "feedbackUp"], ["down", "feedbackDown"]].map(([v, k]) => {
    const b = el("button", "secondary verdict");
    b.append(thumb(v));
    b.type = "button";
    b.dataset.verdict = v;
    b.title = t(k);
    b.setAttribute("aria-label", t(k));
    b.addEventListener("click", () => {
      const f = turn.feedback;
      if (f && f.verdict === v && f.sent) return;
      turn.feedback = f && f.verdict === v ? null
        : { verdict: v, comment: f && !f.sent ? f.comment : "", sent: false };
      saveConversation();
      draw(null);
    });
    group.append(b);
    return b;
  });

  function draw(focus) {
    const f = turn.feedback;
    for (const b of buttons) b.setAttribute("aria-pressed", String(!!f && f.verdict === b.dataset.verdict));
    area.replaceChildren();
    area.hidden = !f;
    if (!f) return;
    if (f.sent) {
      area.append(el("p", "feedback-sent", `${t("feedbackSent")} ✓`));
      if (focus) buttons.find((b) => b.dataset.verdict === f.verdict).focus();
      return;
    }
    const form = el("form", "feedback-form");
    const box = el("textarea");
    box.id = `feedback-comment-${turn.id}`;
    box.rows = 2;
    box.maxLength = 2000;
    box.placeholder = t("feedbackPlaceholder");
    box.value = f.comment;
    box.addEventListener("input", () => { f.comment = box.value; saveConversation(); });
    const label = el("label", "", t("feedbackComment"));
    label.htmlFor = box.id;
    const send = el("button", "primary", t("feedbackSend"));
    send.type = "submit";
    const errors = el("div");
    form.append(label, box, send, errors);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      send.disabled = true;
      errors.replaceChildren();
      try {
        await api("/v1/feedback", { json: feedbackBody(turn, box.value.trim()) });
        turn.feedback = { ...f, comment: box.value.trim(), sent: true };
        saveConversation();
        draw(true);
        announce(t("feedbackThanks"));
      } catch (err) {
        send.disabled = false;
        errors.append(errorBox(err));
      }
    });
    area.append(form);
  }

  foot.append(group);
  art.append(area);
  draw(null);
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
  if (!$(name === "ask" ? "view-ask" : "view-docs").contains(keyRow)) placeKeyRow(null);
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

/** The documents the search finds, in the chosen order, each with its card; the count. */
function renderDocuments() {
  const list = $("document-list");
  list.replaceChildren();
  const all = state.documents || [];
  const shown = sortDocuments(all.filter(docMatcher(state.docQuery)), state.docSort);
  for (const d of shown) list.append(documentItem(d));
  renderDocCount(shown.length, all.length);
  renderScope(); // the chips' names
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
  $("document-meta").textContent = "";
  $("document-card").replaceChildren();
  $("card-box").hidden = true;
  $("doc-official").hidden = true;
  const token = ++readerLoads;
  state.reader = { d: null, docId, passageId, ranges, returnTo, token };
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
  $("document-title").textContent = docName(d);
  // the card says the title, date and sender; without one, a line says them once
  $("document-meta").textContent = cardFields(d).length ? "" : [
    d.title !== d.reference ? d.title : "", longDate(d.date), d.author].filter(Boolean).join(" · ");
  $("document-meta").hidden = !$("document-meta").textContent;
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
      f.source === "catalogue" ? t("fromCatalogue") : "", fieldNote(f)].filter(Boolean);
    if (how.length) dd.append(el("span", "card-note", ` (${how.join(" — ")})`));
    list.append(dd);
  }
  $("card-box").hidden = fields.length === 0;
}

/** A field's note in the page's words, unless it only quotes a printed value the shown one
 *  already contains (a catalogue title that adds its subject: the title is not said twice). */
function fieldNote(f) {
  const printed = (String(f.note || "").match(/^the text prints « (.+) »$/) || [])[1];
  return printed && String(f.value).includes(printed) ? "" : cardNote(f.note);
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
  if (u.error) {
    box.append(errorBox(u.error));
    if (u.error.status === 401) placeKeyRow(box);
    return;
  }
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
    focusKeyAfter(state.upload && state.upload.error);
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
  store("conversation", done.map((x) => ({ question: x.question, answer: x.raw,
    id: x.answerId, feedback: x.feedback || null, scope: x.scope })));
}

function restoreConversation() {
  for (const x of stored("conversation")) {
    if (!x || typeof x.question !== "string" || !x.answer || typeof x.answer !== "object") continue;
    state.turns.push({ id: ++turnIds, question: x.question, status: "done", raw: x.answer,
      answer: fromAsk(x.answer), answerId: typeof x.id === "string" ? x.id : newAnswerId(),
      feedback: keptFeedback(x.feedback), scope: scopeList(x.scope) });
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

// -- routes: #/ask?q=…&d=<doc>,<doc>, #/passage/<id>?d=<doc>, #/document/<id>, #/documents

const askHash = (question, scope) => `#/ask?q=${encodeURIComponent(question)}${
  scope && scope.length ? `&d=${scope.map(encodeURIComponent).join(",")}` : ""}`;
const passageHash = (p) => `#/passage/${encodeURIComponent(p.passage_id || "")}?d=${
  encodeURIComponent((p.document && p.document.id) || "")}`;
const sameHash = (hash) => new URL(hash, location.href).hash === location.hash;

function lastAskHash() {
  const done = state.turns.filter((x) => x.status === "done");
  const last = done[done.length - 1];
  return last ? askHash(last.question, last.scope) : "#/";
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
  else if (r.name === "ask" && r.params.get("q")) showAsked(r.params.get("q"), scopeParam(r.params));
  else showAskView();
}

function showAskView() {
  closePassage(false);
  leaveReader();
  showView("ask");
}

/** The card of that question (in those documents) when the conversation has it, else the
 *  question asked there: the URL's documents become the chips. */
function showAsked(question, scope) {
  const turn = state.turns.find((x) => x.question === question && x.status === "done"
                                && sameScope(x.scope, scope));
  if (!turn) {
    if (!state.busy) { setScope(scope); ask(question); }
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
    const p = a.closest.find((x) => x.passage_id === passageId);
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
  a.href = askHash(turn.answer.understood || turn.question, turn.scope);
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
    placeKeyRow(null); // out of the turn about to go
    state.turns.pop();
    last.el.remove();
    ask(last.question);
  } else if (!$("view-docs").hidden) {
    placeKeyRow(null);
    const r = state.reader;
    if (r && r.d === null) showDocument(r.docId, r.passageId, r.ranges, r.returnTo);
    else loadDocuments();
  } else {
    $("question").focus();
  }
}

// -- steering: the documents a question is limited to (chips), the documents view's search,
// sort, cards and delete ----------------------------------------------------------------

const scopeList = (x) => (Array.isArray(x) ? [...new Set(x.filter((s) => typeof s === "string" && s))] : []);
const scopeParam = (params) => scopeList((params.get("d") || "").split(","));
const sameScope = (a, b) => {
  const x = scopeList(a);
  const y = new Set(scopeList(b));
  return x.length === y.size && x.every((s) => y.has(s));
};
const cardFields = (d) => (d && d.card && Array.isArray(d.card.fields) ? d.card.fields : []);
const docById = (id) => (state.documents || []).find((d) => d.id === id || d.symbol === id) || null;

/** Who sent a document without a symbol, as its card (or catalogue author) says. */
function docSender(d) {
  const f = cardFields(d).find((x) => x.name === "sender");
  const who = f ? f.value : String(d.author || "").split(",").slice(-1)[0];
  return String(who || "").trim().replace(/^(le|la|les)\s+|^l[’']/i, "")
    .replace(/\s+auprès de l[’']Organisation des Nations Unies$/i, "");
}

/** A document's name: its symbol, else its reference with the sender ("Lettre datée du 19
 *  octobre 2021 — Représentant permanent du Mexique"), so letters are not dates alone. */
function baseName(d) {
  const ref = d.reference || d.symbol || d.id || "";
  if (d.symbol) return ref;
  const who = docSender(d);
  return who && !ref.includes(who) ? `${ref} — ${who}` : ref;
}

let docNameCache = { list: null, names: new Map() };

/** The document's name, told apart from the others' (signatory, then id, when two agree). */
function docName(d) {
  if (!d) return "";
  if (docNameCache.list !== state.documents) {
    const list = state.documents || [];
    const names = new Map(list.map((x) => [x.id, baseName(x)]));
    const twice = (name) => [...names.values()].filter((n) => n === name).length > 1;
    for (const x of list.filter((y) => twice(names.get(y.id)))) {
      const who = (cardFields(x).find((f) => f.name === "signatory") || {}).value;
      if (who) names.set(x.id, `${names.get(x.id)} (${who})`);
    }
    for (const x of list.filter((y) => twice(names.get(y.id)))) names.set(x.id, `${names.get(x.id)} [${x.id}]`);
    docNameCache = { list: state.documents, names };
  }
  return docNameCache.names.get(d.id) || baseName(d);
}

const scopeName = (id) => { const d = docById(id); return d ? docName(d) : id; };
const scopeNames = (scope) => scope.map(scopeName).join(", ");

/** "Limité à : S/2021/297, …" on a card asked in chosen documents. */
function scopeNote(scope) {
  const p = el("p", "scope-note");
  p.append(el("strong", "", `${t("limitedTo")}${colon()}`), document.createTextNode(scopeNames(scope)));
  return p;
}

function setScope(ids) {
  state.scope = scopeList(ids);
  store("scope", state.scope);
  renderScope();
}

function restoreScope() {
  state.scope = scopeList(stored("scope"));
}

/** The chips of the question box and the pressed state of the picker's documents. */
function renderScope() {
  const list = $("scope-list");
  list.replaceChildren();
  for (const id of state.scope) {
    const name = scopeName(id);
    const li = el("li", "scope-chip");
    li.dataset.id = id;
    const remove = el("button", "scope-remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", t("scopeRemove", { name }));
    remove.title = t("scopeRemove", { name });
    remove.addEventListener("click", () => removeFromScope(id));
    li.append(el("span", "scope-name", name), remove);
    list.append(li);
  }
  $("scope-chips").hidden = state.scope.length === 0;
  document.querySelectorAll("#scope-choices .scope-choice").forEach((b) => {
    b.setAttribute("aria-pressed", String(state.scope.includes(b.dataset.id)));
  });
}

function addToScope(id) {
  if (!state.scope.includes(id)) setScope([...state.scope, id]);
  announce(t("scopeAdded", { names: scopeNames(state.scope) }));
}

/** A chip's ×: the document leaves the scope; the focus goes to the next chip (or the picker). */
function removeFromScope(id) {
  const at = state.scope.indexOf(id);
  setScope(state.scope.filter((x) => x !== id));
  const rest = state.scope.length ? t("scopeAdded", { names: scopeNames(state.scope) }) : t("scopeAll");
  announce(t("scopeRemoved", { name: scopeName(id), rest }));
  const chips = [...document.querySelectorAll("#scope-list .scope-remove")];
  (chips[Math.min(at, chips.length - 1)] || document.querySelector("#scope-picker summary")).focus();
}

/** Names, in the chips and on the cards, for a scope restored before the list was loaded;
 *  documents gone from the index leave the chips. */
async function namesForScope() {
  if (!state.scope.length && !state.turns.some((x) => x.scope && x.scope.length)) return;
  if (!(await ensureDocuments())) return;
  const gone = state.scope.filter((id) => !docById(id));
  if (gone.length) setScope(state.scope.filter((id) => docById(id)));
  renderScope();
  refreshScopeNotes();
}

function refreshScopeNotes() {
  for (const turn of state.turns) {
    const old = turn.el && turn.el.querySelector(".scope-note");
    if (old && turn.scope && turn.scope.length) old.replaceWith(scopeNote(turn.scope));
  }
}

/** The document list when the page does not have it yet; false when it cannot be had. */
async function ensureDocuments() {
  if (state.documents) return true;
  try {
    const data = await api("/v1/documents");
    state.documents = Array.isArray(data.documents) ? data.documents : [];
    renderDocuments();
    return true;
  } catch (err) {
    if (!$("scope-picker").open) return false;
    showError($("scope-error"), err);
    return false;
  }
}

/** The picker's documents (toggle buttons, filtered by its search field). */
async function renderScopeChoices() {
  $("scope-error").replaceChildren();
  if (!(await ensureDocuments())) return;
  const list = $("scope-choices");
  list.replaceChildren();
  const shown = sortDocuments((state.documents || []).filter(docMatcher($("scope-search").value)), "symbol");
  for (const d of shown) {
    const b = el("button", "scope-choice");
    b.type = "button";
    b.dataset.id = d.id;
    b.append(el("span", "scope-choice-name", docName(d)));
    const when = docDateText(d);
    if (when) b.append(el("span", "scope-choice-date", when));
    b.setAttribute("aria-pressed", String(state.scope.includes(d.id)));
    b.addEventListener("click", () => {
      if (state.scope.includes(d.id)) removeFromScopeQuietly(d.id);
      else addToScope(d.id);
    });
    const li = el("li");
    li.append(b);
    list.append(li);
  }
  if (!shown.length) list.append(el("li", "hint", t("noMatch", { q: $("scope-search").value.trim() })));
}

function removeFromScopeQuietly(id) {
  setScope(state.scope.filter((x) => x !== id));
  announce(state.scope.length ? t("scopeAdded", { names: scopeNames(state.scope) }) : t("scopeAll"));
}

/** "Ask in this document": the document joins the chips and the question box has the focus. */
function askInDocument(id) {
  addToScope(id);
  closePassage(false);
  leaveReader();
  pushRoute(lastAskHash());
  showView("ask");
  $("question").focus();
}

// the documents view: search, sort, count, cards

/** Lower case without accents, one kind of apostrophe. */
const fold = (s) => String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
  .replace(/[’‘]/g, "'").toLowerCase();

/** Whether a document has every word of the search in its name, symbol, title, author,
 *  dates or card (accents and case aside). */
function docMatcher(query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return () => true;
  return (d) => {
    const text = fold([docName(d), d.reference, d.symbol, d.title, d.author, d.date,
      longDate(d.date), docDateText(d), ...cardFields(d).map((f) => f.value)].join(" \u0001 "));
    return words.every((w) => text.includes(w));
  };
}

/** The date a document is sorted by: its own (ISO), else its card's. */
function docDate(d) {
  if (d.date) return String(d.date);
  const f = cardFields(d).find((x) => x.name === "date" && x.iso);
  return f ? String(f.iso) : "";
}

function docDateText(d) {
  const f = cardFields(d).find((x) => x.name === "date");
  if (f && /^\d{4}-\d{2}-\d{2}$/.test(f.iso || "")) return longDate(f.iso);
  return f ? f.value : longDate(d.date) || "";
}

/** Newest or oldest first (undated last), or by symbol (documents without one after, by name). */
function sortDocuments(list, how) {
  const sorted = [...list];
  const byName = (a, b) => docName(a).localeCompare(docName(b), lang, { numeric: true });
  if (how === "symbol") {
    return sorted.sort((a, b) => (!a.symbol - !b.symbol) || byName(a, b));
  }
  const sign = how === "oldest" ? 1 : -1;
  return sorted.sort((a, b) => {
    const [x, y] = [docDate(a), docDate(b)];
    if (!x || !y) return (!x - !y) || byName(a, b);
    return x === y ? byName(a, b) : (x < y ? -sign : sign);
  });
}

function renderDocCount(n, total) {
  const count = $("doc-count");
  if (!state.documents) { count.textContent = ""; return; }
  const query = state.docQuery.trim();
  if (query && !n) count.textContent = t("noMatch", { q: query });
  else if (n === total) count.textContent = total === 1 ? t("docCountOne") : t("docCount", { n: total });
  else count.textContent = n === 1 ? t("docCountOneOf", { total }) : t("docCountOf", { n, total });
}

/** The card in the list: symbol, date, signatory, original language, agenda item. */
const LIST_FIELDS = ["symbol", "date", "signatory", "original_language", "agenda_item"];

function docFacts(d) {
  const dl = el("dl", "doc-facts");
  const fields = cardFields(d);
  for (const name of LIST_FIELDS) {
    const values = [...new Set(fields.filter((f) => f.name === name)
      .map((f) => (name === "date" ? docDateText(d) : f.value)))];
    if (!values.length) continue;
    const row = el("div", `doc-fact fact-${name}`);
    row.append(el("dt", "", I18N[lang][`field_${name}`] || name), el("dd", "", values.join(", ")));
    dl.append(row);
  }
  return dl;
}

function documentItem(d) {
  const li = el("li", "doc-entry");
  li.dataset.id = d.id;
  const name = docName(d);
  const b = el("button", "doc-item");
  b.type = "button";
  b.dataset.id = d.id;
  b.append(el("span", "doc-ref", name));
  if (d.title && d.title !== d.reference && d.title !== name) b.append(el("span", "doc-title", d.title));
  const facts = docFacts(d);
  const meta = [facts.childElementCount ? "" : longDate(d.date), facts.childElementCount ? "" : d.author,
    t("passages", { n: d.passages })].filter(Boolean).join(" · ");
  b.append(el("span", "doc-meta", meta));
  b.addEventListener("click", () => showDocument(d.id, null, [], null));
  li.append(b);
  if (facts.childElementCount) li.append(facts);
  const actions = el("div", "doc-actions");
  const here = el("button", "secondary doc-ask", t("askHere"));
  here.type = "button";
  here.setAttribute("aria-label", t("askHereLabel", { name }));
  here.addEventListener("click", () => askInDocument(d.id));
  const del = el("button", "secondary doc-delete", t("deleteDoc"));
  del.type = "button";
  del.setAttribute("aria-label", t("deleteLabel", { name }));
  del.addEventListener("click", () => confirmDelete(d));
  actions.append(here, del);
  li.append(actions);
  return li;
}

// delete: an in-page confirmation, then DELETE /v1/documents/{id} (with the key when one is set)

function confirmDelete(d) {
  state.deleting = d;
  $("delete-text").textContent = t("deleteText", { name: docName(d) });
  $("delete-dialog").showModal();
  $("delete-cancel").focus();
}

async function deleteDocument() {
  const d = state.deleting;
  $("delete-dialog").close();
  if (!d) return;
  state.deleting = null;
  const name = docName(d);
  state.docsChange = { progress: true };
  renderDocsChange();
  try {
    const report = await api(`/v1/documents/${encodeURIComponent(d.id)}`, { method: "DELETE" });
    state.docsChange = { report, name };
    if (state.scope.includes(d.id)) setScope(state.scope.filter((x) => x !== d.id));
    await loadDocuments();
  } catch (err) {
    state.docsChange = { error: err };
  }
  renderDocsChange();
  $("docs-change").setAttribute("tabindex", "-1");
  $("docs-change").focus();
}

function renderDocsChange() {
  const box = $("docs-change");
  box.replaceChildren();
  const c = state.docsChange;
  if (!c) return;
  if (c.progress) { box.append(el("p", "progress", t("deleting"))); return; }
  if (c.error) { box.append(errorBox(c.error)); return; }
  const r = c.report || {};
  box.append(el("div", "success", t("deleteDone", { name: c.name, s: num(r.seconds || 0, 1),
    n: r.documents !== undefined ? r.documents : (state.documents || []).length })));
}

function wireSteering() {
  state.docSort = ["newest", "oldest", "symbol"].includes(localStorage.getItem("docSort"))
    ? localStorage.getItem("docSort") : "newest";
  $("doc-sort").value = state.docSort;
  $("scope-picker").addEventListener("toggle", () => { if ($("scope-picker").open) renderScopeChoices(); });
  $("scope-search").addEventListener("input", renderScopeChoices);
  $("scope-search").addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  $("doc-search").addEventListener("input", () => {
    state.docQuery = $("doc-search").value;
    renderDocuments();
  });
  $("doc-sort").addEventListener("change", () => {
    state.docSort = $("doc-sort").value;
    localStorage.setItem("docSort", state.docSort);
    renderDocuments();
  });
  $("doc-ask").addEventListener("click", () => {
    if (state.reader && state.reader.d) askInDocument(state.reader.d.id);
  });
  $("delete-cancel").addEventListener("click", () => { state.deleting = null; $("delete-dialog").close(); });
  $("delete-confirm").addEventListener("click", deleteDocument);
  $("delete-dialog").addEventListener("cancel", () => { state.deleting = null; });
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
  renderScope();
  renderDocsChange();
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
keyRow.addEventListener("submit", submitKey);
$("clear-history").addEventListener("click", clearHistory);
window.addEventListener("popstate", onLocationChange);
window.addEventListener("hashchange", onLocationChange);
$("clear-key").addEventListener("click", () => {
  localStorage.removeItem("apiKey");
  keyInput.value = "";
  announce(t("keyCleared"));
  keyInput.focus();
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
  keyInput.value = localStorage.getItem("apiKey");
  showKeyRow(false);
}
restoreConversation();
restoreScope();
wireSteering();
applyLanguage();
route(location.hash);
namesForScope();
reaskInLanguage(); // answers kept from a visit in the other language
