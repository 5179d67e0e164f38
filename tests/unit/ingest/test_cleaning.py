"""Each cleaning rule on real lines of the seed documents."""

from collections import Counter

from rag.ingest.cleaning import (
    collapse_spaces,
    fix_apostrophe_spacing,
    fix_space_before_point,
    fix_spaced_hyphen,
    is_footnote_rule,
    is_link_residue,
    is_page_header,
    join_split_words,
    join_wrapped_lines,
    normalize_unicode,
    repair_text,
    strip_footnote_markers,
    strip_markdown,
)


def test_page_headers_and_job_numbers_are_recognised():
    for line in ["S/2021/297 ", "A/75/345 ", "S/2020/898 ", "21-04084 2/5 ", "3/5 21-04084 ",
                 "13/22 20-11786 ", "21-04084 (F)    310321    310321 ", "*2104084*  "]:
        assert is_page_header(line), line


def test_body_lines_are_not_page_headers():
    for line in ["1. Au cours de la réunion, le Président de l’Assemblée générale, le ",
                 "(voir S/2015/446-A/70/95). Depuis 2015, ces derniers ont",
                 "2021, entend organiser un débat public sur le thème",
                 "19,44 milliards de dollars ; six ans plus tard"]:
        assert not is_page_header(line), line


def test_link_residue_and_footnote_rule():
    assert is_link_residue("https://undocs.org/fr/S/2015/446-A/70/95")
    assert is_link_residue("mailto:dppa-scsb3@un.org")
    assert not is_link_residue("(dppa-scsb3@un.org) au plus tard le 23 avril")
    assert is_footnote_rule("__________________ ")
    assert not is_footnote_rule("l’ONU _ et")


def test_fix_apostrophe_spacing_on_real_line():
    line = "dans le cadre des opérations de soutien à la paix dirigées par l ’Union africaine. Nous"
    assert "par l’Union africaine." in fix_apostrophe_spacing(line)
    assert fix_apostrophe_spacing("la Communauté d ’États") == "la Communauté d’États"
    assert fix_apostrophe_spacing("l’ONU et l ’OTSC") == "l’ONU et l’OTSC"


def test_fix_spaced_hyphen():
    assert fix_spaced_hyphen("la note de cadrage ci -jointe (voir") == \
        "la note de cadrage ci-jointe (voir"
    assert fix_spaced_hyphen("pourrait -il contribuer") == "pourrait-il contribuer"
    assert fix_spaced_hyphen("– GUAM") == "– GUAM"


def test_fix_space_before_point():
    assert fix_space_before_point("groupes terroristes armés . Il y") == \
        "groupes terroristes armés. Il y"
    assert fix_space_before_point("la sécurité , les changements") == \
        "la sécurité, les changements"
    assert fix_space_before_point("19,44 milliards") == "19,44 milliards"


def test_collapse_spaces_and_guillemets():
    assert collapse_spaces("sur le thème «  Développement de la   coopération  »") == \
        "sur le thème « Développement de la coopération »"


def test_normalize_unicode_keeps_indentation_and_unifies_apostrophes():
    assert normalize_unicode("  Contexte\u00a0") == "  Contexte "
    assert normalize_unicode("J'ai l'honneur") == "J’ai l’honneur"


def test_join_split_words_only_where_safe():
    vocab = Counter({"conflits": 34, "conf": 1, "lits": 1, "relations": 3, "re": 1,
                     "lations": 1, "de": 900, "la": 800, "dela": 0})
    assert join_split_words("le règlement des conf lits. Néanmoins", vocab) == \
        "le règlement des conflits. Néanmoins"
    assert join_split_words("qui président aux re lations interétatiques", vocab) == \
        "qui président aux relations interétatiques"
    assert join_split_words("de la paix", vocab) == "de la paix"


def test_join_wrapped_lines_keeps_compound_hyphens():
    lines = ["organisations sous-", "régionales telles que la Communauté"]
    assert join_wrapped_lines(lines) == "organisations sous-régionales telles que la Communauté"
    spaced = ["l’Organisation des Nations Unies célèbre son soixante -", "quinzième anniversaire"]
    assert join_wrapped_lines(spaced).endswith("soixante-quinzième anniversaire")


def test_join_wrapped_lines_drops_syllable_hyphen_when_vocabulary_knows_the_word():
    vocab = Counter({"organisations": 50})
    assert join_wrapped_lines(["les organisa-", "tions régionales"], vocab) == \
        "les organisations régionales"


def test_footnote_markers_glued_to_words_and_numbers():
    text, refs = strip_footnote_markers(
        "sur la coopération institutionnelle1. Depuis 2015", [1])
    assert text == "sur la coopération institutionnelle. Depuis 2015" and refs == (1,)
    text, refs = strip_footnote_markers(
        "dont le nombre a dépassé 488 0001. Ce constat, 31,6 milliards de dollars2.", [1, 2])
    assert "488 000." in text and "dollars." in text and refs == (1, 2)
    assert strip_footnote_markers("COVID-19 et G20", [1, 2])[1] == ()


def test_markdown_emphasis_and_full_repair():
    assert strip_markdown("(Signé) **Adolfo Aguilar Zinser**") == "(Signé) Adolfo Aguilar Zinser"
    assert repair_text("le rôle moteur de l ’ONU et  de la note ci -jointe .") == \
        "le rôle moteur de l’ONU et de la note ci-jointe."
