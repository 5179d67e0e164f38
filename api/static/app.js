// Staff page: ask, read the cited answer, open cited paragraphs, browse documents.
// All document text is inserted with textContent (never as HTML).
"use strict";

const I18N = {
  fr: {
    title: "Coopération ONU – organisations régionales", documents: "Documents",
    label: "Votre question (français ou anglais)", ask: "Demander", key: "Clé d’API",
    placeholder: "Ex. : Dans quels domaines l’ONU et l’OCS coopèrent-elles ?",
    answer: "Réponse", sources: "Sources", browseDoc: "Parcourir le document",
    loading: "Recherche dans les documents…", notFound: "Réponse introuvable dans les documents.",
    closest: "Passages les plus proches", error: "Erreur", confidence: "confiance",
    needKey: "Cette instance demande une clé d’API.", par: "par.", passages: "paragraphes",
  },
  en: {
    title: "UN – regional organisations cooperation", documents: "Documents",
    label: "Your question (French or English)", ask: "Ask", key: "API key",
    placeholder: "E.g.: In which areas do the UN and the SCO cooperate?",
    answer: "Answer", sources: "Sources", browseDoc: "Browse the document",
    loading: "Searching the documents…", notFound: "Not found in the documents.",
    closest: "Closest passages", error: "Error", confidence: "confidence",
    needKey: "This server needs an API key.", par: "para.", passages: "paragraphs",
  },
};
let lang = localStorage.getItem("lang") || (navigator.language || "fr").slice(0, 2);
if (!I18N[lang]) lang = "fr";
const $ = (id) => document.getElementById(id);
const t = (k) => I18N[lang][k];
let current = null; // last answer
let openPassage = null;

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $("lang").textContent = lang === "fr" ? "EN" : "FR";
}

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value || localStorage.getItem("apiKey");
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(path, body ? { method: "POST", headers, body: JSON.stringify(body) } : { headers });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) { $("key-row").hidden = false; throw new Error(t("needKey")); }
  if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
  if (key) localStorage.setItem("apiKey", key);
  return data;
}

function setStatus(text, loading) {
  $("status").textContent = text || "";
  $("status").classList.toggle("loading", !!loading);
}

function renderAnswer(a) {
  current = a;
  $("answer").hidden = false;
  const text = $("answer-text");
  text.replaceChildren();
  $("not-found").hidden = !a.abstained;
  $("sources").replaceChildren();
  if (a.abstained) {
    text.hidden = true;
    $("not-found").textContent = a.answer || t("notFound");
    $("sources-title").textContent = t("closest");
    a.passages.slice(0, 3).forEach((p) => $("sources").append(sourceItem(p.reference, p.text.slice(0, 220) + "…", () => showPassage(p, null))));
  } else {
    text.hidden = false;
    $("sources-title").textContent = t("sources");
    // split the answer on [n] markers and turn each marker into a button
    a.answer.split(/(\[\d+\])/).forEach((part) => {
      const m = part.match(/^\[(\d+)\]$/);
      if (!m) { text.append(document.createTextNode(part)); return; }
      const c = a.citations.find((x) => x.marker === Number(m[1]));
      const b = document.createElement("button");
      b.type = "button"; b.className = "marker"; b.textContent = part; b.dataset.marker = m[1];
      if (c) { b.title = c.reference; b.addEventListener("click", () => showPassage(c, c.quote)); }
      text.append(b);
    });
    a.citations.forEach((c) => $("sources").append(sourceItem(`[${c.marker}] ${c.reference}`, `« ${c.quote} »`, () => showPassage(c, c.quote))));
  }
  const ms = a.timings_ms && a.timings_ms.total ? `${Math.round(a.timings_ms.total)} ms` : "";
  $("meta").textContent = `${t("confidence")} ${a.confidence.toFixed(2)} · ${ms}`;
}

function sourceItem(ref, quote, onClick) {
  const li = document.createElement("li");
  const r = document.createElement("a");
  r.href = "#"; r.className = "ref"; r.textContent = ref;
  r.addEventListener("click", (e) => { e.preventDefault(); onClick(); });
  const q = document.createElement("div");
  q.className = "quote"; q.textContent = quote;
  li.append(r, q);
  return li;
}

function highlighted(container, text, quote) {
  container.replaceChildren();
  const at = quote ? text.indexOf(quote) : -1;
  if (at < 0) { container.textContent = text; return; }
  const mark = document.createElement("mark");
  mark.textContent = quote;
  container.append(document.createTextNode(text.slice(0, at)), mark, document.createTextNode(text.slice(at + quote.length)));
}

function showPassage(p, quote) {
  openPassage = p;
  $("passage").hidden = false;
  $("passage-ref").textContent = p.reference;
  $("passage-section").textContent = (p.section || []).slice(-2).join(" › ");
  highlighted($("passage-text"), p.text, quote);
  $("passage").scrollIntoView({ behavior: "smooth", block: "nearest" });
}

async function showDocument(docId, passageId) {
  const d = await api(`/v1/documents/${encodeURIComponent(docId)}`);
  $("document").hidden = false;
  $("document-list").replaceChildren();
  $("document-title").textContent = d.reference;
  $("document-meta").textContent = [d.title, d.date, d.author].filter(Boolean).join(" · ");
  const box = $("paragraphs");
  box.replaceChildren();
  d.passage_list.forEach((p) => {
    const div = document.createElement("div");
    div.className = "para" + (p.passage_id === passageId ? " current" : "");
    div.id = `para-${p.passage_id}`;
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = /^\d/.test(p.paragraph) ? `${t("par")} ${p.paragraph}` : p.paragraph;
    div.append(label, document.createTextNode(p.text));
    box.append(div);
  });
  const target = passageId && document.getElementById(`para-${passageId}`);
  (target || $("document")).scrollIntoView({ behavior: "smooth", block: "start" });
}

async function listDocuments() {
  const data = await api("/v1/documents");
  $("document").hidden = false;
  $("paragraphs").replaceChildren();
  $("document-title").textContent = t("documents");
  $("document-meta").textContent = "";
  const list = $("document-list");
  list.replaceChildren();
  data.documents.forEach((d) => {
    const li = document.createElement("li");
    li.textContent = `${d.reference} — ${d.title} (${d.passages} ${t("passages")})`;
    li.addEventListener("click", () => showDocument(d.id, null).catch(fail));
    list.append(li);
  });
}

function fail(err) { setStatus(`${t("error")} : ${err.message}`, false); }

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("submit").disabled = true;
  setStatus(t("loading"), true);
  try {
    renderAnswer(await api("/v1/ask", { question }));
    setStatus("", false);
  } catch (err) { fail(err); } finally { $("submit").disabled = false; }
});
$("close-passage").addEventListener("click", () => { $("passage").hidden = true; });
$("open-document").addEventListener("click", () => {
  if (openPassage) showDocument(openPassage.document.id, openPassage.passage_id).catch(fail);
});
$("browse").addEventListener("click", () => listDocuments().catch(fail));
$("lang").addEventListener("click", () => {
  lang = lang === "fr" ? "en" : "fr";
  localStorage.setItem("lang", lang);
  applyLanguage();
  if (current) renderAnswer(current);
});
applyLanguage();
