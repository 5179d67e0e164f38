"""Every message the API writes itself, in English and French, chosen per request from its
``Accept-Language`` header (quality values honoured; English when the header is absent or
names neither language, so API clients keep the English messages they compare).

The language is read once per request by ``api.middleware.TimingAndLog`` into
:data:`LANGUAGE`; :func:`say` writes a message in it. Error ``code`` fields never change:
they are for programs, the messages are for people."""

from __future__ import annotations

import http
import re
from contextvars import ContextVar
from typing import Any

#: the languages the API writes in; the first is the default
LANGUAGES = ("en", "fr")

#: language of the request being answered (set by ``api.middleware.TimingAndLog``)
LANGUAGE: ContextVar[str] = ContextVar("language", default=LANGUAGES[0])

_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([^;\s]*))?"
                    r"\s*(?:;.*)?$")


def negotiate(header: str | None, available: tuple[str, ...] = LANGUAGES) -> str:
    """The best of ``available`` for an ``Accept-Language`` header (RFC 9110 §12.5.4):
    ranges by quality, the first written first among equals; ``fr-FR`` matches ``fr``,
    ``*`` any language not refused with ``q=0``. The first of ``available`` when nothing
    matches or the header is absent."""
    ranked: list[tuple[float, int, str]] = []
    refused: set[str] = set()
    for position, item in enumerate((header or "").split(",")[:20]):
        m = _RANGE.match(item)
        if not m:
            continue
        tag = m.group(1).lower()
        try:
            q = min(float(m.group(2)), 1.0) if m.group(2) else 1.0
        except ValueError:
            continue
        if q <= 0:
            refused.add(tag)
        else:
            ranked.append((q, -position, tag))
    for _, _, tag in sorted(ranked, reverse=True):
        if tag == "*":
            choice = next((a for a in available if a not in refused), None)
        else:
            primary = tag.split("-")[0]
            choice = primary if primary in available and primary not in refused else None
        if choice:
            return choice
    return available[0]


def say(key: str, language: str | None = None, **values: Any) -> str:
    """The message ``key`` in ``language`` (default: the current request's), ``{name}``
    fields filled from ``values``."""
    forms = MESSAGES[key]
    return forms.get(language or LANGUAGE.get(), forms["en"]).format(**values)


#: every message the API writes itself: key → {language: template}
MESSAGES: dict[str, dict[str, str]] = {
    # authentication and origin checks (api.deps)
    "unauthorized": {"en": "Missing or wrong API key (Authorization: Bearer …)",
                     "fr": "Clé d’API absente ou erronée (en-tête Authorization: Bearer …)"},
    "cross_site": {"en": "Cross-site requests may not change the service",
                   "fr": "Une requête venue d’un autre site ne peut pas modifier le service"},
    "cross_origin": {"en": "Origin {origin} may not change the service",
                     "fr": "L’origine {origin} ne peut pas modifier le service"},
    "opaque_origin": {"en": "Requests from an opaque origin may not change the service",
                      "fr": "Une requête d’origine opaque ne peut pas modifier le service"},
    "misdirected_request": {
        "en": "Host {host} is not a name this server accepts changes under without an API "
              "key (localhost, 127.0.0.1, [::1] or RAG_ALLOWED_HOSTS); set RAG_API_KEY to "
              "change it under any name",
        "fr": "L’hôte {host} n’est pas un nom sous lequel ce serveur accepte des "
              "modifications sans clé d’API (localhost, 127.0.0.1, [::1] ou "
              "RAG_ALLOWED_HOSTS) ; définissez RAG_API_KEY pour les accepter sous tout nom"},
    "not_ready": {"en": "The service is starting.", "fr": "Le service démarre."},
    # questions (api.validation)
    "empty_question": {"en": "'{field}' is empty", "fr": "« {field} » est vide"},
    "question_too_long": {"en": "'{field}' has {n} characters; the limit is {limit}",
                          "fr": "« {field} » compte {n} caractères ; la limite est de {limit}"},
    # uploads (api.routes.documents)
    "upload_name": {"en": "{name}: give a file name ending in one of {suffixes}",
                    "fr": "{name} : donnez un nom de fichier qui se termine par l’une des "
                          "extensions {suffixes}"},
    "unnamed_file": {"en": "unnamed file", "fr": "fichier sans nom"},
    "same_name_twice": {"en": "{names}: the same file name is given twice",
                        "fr": "{names} : le même nom de fichier est donné deux fois"},
    # chat completions (api.routes.chat, api.chat_options)
    "model_not_found": {"en": "Unknown model {model}; available: {models}",
                        "fr": "Modèle inconnu {model} ; modèles disponibles : {models}"},
    "no_user_message": {"en": "The conversation has no user message to answer",
                        "fr": "La conversation n’a aucun message d’utilisateur auquel "
                              "répondre"},
    "unsupported_parameter": {"en": "'{param}' is not supported: {why}",
                              "fr": "« {param} » n’est pas pris en charge : {why}"},
    "invalid_parameter": {"en": "Invalid '{param}': {why}",
                          "fr": "« {param} » invalide : {why}"},
    "one_choice": {"en": "this service returns one choice (n=1)",
                   "fr": "ce service renvoie un seul choix (n=1)"},
    "no_tool_calls": {"en": "the answers are extractive; no tool calls",
                      "fr": "les réponses sont extractives ; pas d’appel d’outil"},
    "no_function_calls": {"en": "the answers are extractive; no function calls",
                          "fr": "les réponses sont extractives ; pas d’appel de fonction"},
    "text_replies": {"en": "only {{\"type\": \"text\"}} replies",
                     "fr": "réponses {{\"type\": \"text\"}} seulement"},
    "no_logprobs": {"en": "no token log probabilities",
                    "fr": "pas de log-probabilités de jetons"},
    "at_least_1": {"en": "must be at least 1", "fr": "doit valoir au moins 1"},
    "stream_only": {"en": "only allowed when 'stream' is true",
                    "fr": "permis seulement quand « stream » vaut true"},
    "stop_sequences": {"en": "at most {n} sequences", "fr": "au plus {n} séquences"},
    # request guards (api.middleware)
    "duplicate_header": {"en": "More than one {name} header",
                         "fr": "L’en-tête {name} figure plus d’une fois"},
    "body_too_large": {"en": "Request body over {limit} bytes",
                       "fr": "Corps de la requête de plus de {limit} octets"},
    "body_timeout": {"en": "Request body not received within {timeout} s",
                     "fr": "Corps de la requête non reçu en {timeout} s"},
    "invalid_utf8": {"en": "Request body is not valid UTF-8",
                     "fr": "Le corps de la requête n’est pas de l’UTF-8 valide"},
    "rate_limited": {"en": "Too many requests (limit {limit}); retry in {retry} s",
                     "fr": "Trop de requêtes (limite {limit}) ; réessayez dans {retry} s"},
    "cors_rejected": {"en": "{detail}", "fr": "Requête CORS refusée ({detail})"},
    "internal_error": {"en": "Internal error; see the server log.",
                       "fr": "Erreur interne ; voir le journal du serveur."},
    "invalid_request": {"en": "invalid request", "fr": "requête invalide"},
}

#: French forms of the library's errors (rag.errors), by HTTP code; the English form is the
#: exception's own message. ``{file}``: the file a rejected document came from; ``{name}``:
#: the id the message quotes (with a space before it).
RAG_FRENCH: dict[str, str] = {
    "composer_unavailable": "Ce compositeur de réponses n’est pas disponible sur cette "
                            "installation.",
    "corpus_busy": "Une autre modification des documents ou de l’index est en cours ; "
                   "réessayez dans un instant.",
    "unknown_document": "Document inconnu{name} ; voir GET /v1/documents",
    "unknown_passage": "Passage inconnu{name}",
    "index_not_built": "Aucun index n’est construit. Reconstruisez-le avec : rag index",
    "index_corrupt": "L’index est inutilisable. Reconstruisez-le avec : rag index",
    "index_mismatch": "L’index ne correspond pas à la configuration. Reconstruisez-le avec : "
                      "rag index",
    "model_unavailable": "Le modèle d’embeddings ne peut pas être chargé.",
    "model_server_timeout": "Le serveur de modèle n’a pas répondu à temps.",
    "model_server_unavailable": "Le serveur de modèle est injoignable.",
    "model_server_error": "Le serveur de modèle a renvoyé une erreur.",
    "document_too_large": "{file} : fichier trop volumineux pour le serveur.",
    "document_unsupported_type": "{file} : type de fichier non pris en charge.",
    "document_unreadable": "{file} : fichier illisible ou sans texte.",
    "document_bad_file_name": "{file} : nom de fichier refusé.",
    "bad_request": "La demande n’a pas été acceptée.",
}

#: French words of request validation errors, by pydantic error type (else "valeur invalide")
VALIDATION_FRENCH: dict[str, str] = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "string_type": "doit être une chaîne de caractères",
    "int_type": "doit être un entier", "int_parsing": "doit être un entier",
    "bool_type": "doit être un booléen", "bool_parsing": "doit être un booléen",
    "float_type": "doit être un nombre", "float_parsing": "doit être un nombre",
    "list_type": "doit être une liste", "dict_type": "doit être un objet",
    "model_type": "doit être un objet", "model_attributes_type": "doit être un objet",
    "greater_than_equal": "doit valoir au moins {ge}",
    "less_than_equal": "doit valoir au plus {le}",
    "too_long": "au plus {max_length} éléments", "too_short": "au moins {min_length} éléments",
    "string_too_long": "au plus {max_length} caractères",
    "string_too_short": "au moins {min_length} caractères",
    "literal_error": "valeur non permise (attendu : {expected})",
    "enum": "valeur non permise (attendu : {expected})",
    "json_invalid": "JSON invalide",
    "value_error": "valeur invalide",
}

#: French reason phrases of bare HTTP errors (Starlette's "Not Found", …)
PHRASES_FRENCH: dict[int, str] = {
    400: "Requête incorrecte", 401: "Non autorisé", 403: "Interdit", 404: "Introuvable",
    405: "Méthode non autorisée", 408: "Délai de requête dépassé",
    413: "Contenu trop volumineux", 415: "Type de contenu non pris en charge",
    416: "Plage non satisfaisable", 421: "Requête mal dirigée", 422: "Contenu non traitable",
    429: "Trop de requêtes", 500: "Erreur interne du serveur", 502: "Mauvaise passerelle",
    503: "Service indisponible", 504: "Délai de passerelle dépassé",
}

_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def rag_message(code: str, english: str, exc: Exception) -> str:
    """A library error's message in the request's language: ``english`` (its own) in
    English, its French form by ``code`` in French."""
    if LANGUAGE.get() != "fr" or code not in RAG_FRENCH:
        return english
    quoted = _QUOTED.search(english)
    name = next((g for g in quoted.groups() if g is not None), "") if quoted else ""
    return RAG_FRENCH[code].format(file=getattr(exc, "file", ""),
                                   name=f" {name}" if name else "")


def validation_message(errors: list[dict[str, Any]]) -> str:
    """Request validation errors as ``body.question: Field required; …`` (pydantic's
    words) in English, with French words in French."""
    french = LANGUAGE.get() == "fr"
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()))
        if french:
            ctx = dict(e.get("ctx") or {})
            template = VALIDATION_FRENCH.get(str(e.get("type")), "valeur invalide")
            try:
                words = template.format(**ctx)
            except (KeyError, IndexError, ValueError):
                words = "valeur invalide"
            parts.append(f"{where} : {words}")
        else:
            parts.append(f"{where}: {e.get('msg')}")
    return "; ".join(parts) or say("invalid_request")


def http_phrase(status: int, detail: str) -> str:
    """A bare HTTP error's text in the request's language: its standard reason phrase
    (``Not Found``) becomes the French one in French; other text is kept."""
    try:
        standard = http.HTTPStatus(status).phrase
    except ValueError:
        standard = ""
    if LANGUAGE.get() == "fr" and detail in (standard, ""):
        return PHRASES_FRENCH.get(status, f"Erreur HTTP {status}")
    return detail
