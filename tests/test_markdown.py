"""How entry and goal text becomes HTML: GitHub's Markdown, Obsidian's [[links]], and nothing unsafe."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from goalsite import markup
from goalsite.markup import plain_excerpt, render_markdown

GOALS = {"sleep-schedule": ("goals/sleep-schedule.html", "Sleep schedule"),
         "2026-11-20": ("journal/2026-11-20.html", "20 November 2026")}


def render(text: str) -> str:
    return render_markdown(text, GOALS.get, "../")


def test_wikilinks_become_links_to_goals_and_entries() -> None:
    assert render("See [[sleep-schedule|my sleep goal]] and [[2026-11-20]].") == (
        '<p>See <a class="internal" href="../goals/sleep-schedule.html" title="Sleep schedule" '
        'rel="noopener noreferrer">my sleep goal</a> and <a class="internal" href="../journal/2026-11-20.html" '
        'title="20 November 2026" rel="noopener noreferrer">2026-11-20</a>.</p>\n')


def test_a_heading_or_block_in_a_wikilink_still_leads_to_the_note() -> None:
    assert 'href="../goals/sleep-schedule.html"' in render("[[sleep-schedule#Why]] [[sleep-schedule^abc]]")
    assert ">sleep-schedule#Why</a>" in render("[[sleep-schedule#Why]]")


def test_unknown_links_and_embeds_stay_words() -> None:
    assert render("[[someone else]] ![[photo.png|the lake]]") == (
        '<p><span class="unresolved-link">someone else</span> <span class="embed">the lake</span></p>\n')


def test_an_embed_is_told_by_the_mark_just_before_it_wherever_it_stands() -> None:
    assert render("![[photo.png]]") == '<p><span class="embed">photo.png</span></p>\n'
    assert render("!![[photo.png]]![[sleep-schedule]][[sleep-schedule|sleep]]") == (
        '<p>!<span class="embed">photo.png</span><span class="embed">sleep-schedule</span>'
        '<a class="internal" href="../goals/sleep-schedule.html" title="Sleep schedule" rel="noopener noreferrer">'
        'sleep</a></p>\n')
    assert render("[[x]] at the start, a mark at the end!") == (
        '<p><span class="unresolved-link">x</span> at the start, a mark at the end!</p>\n')
    assert render("`![[photo.png]]` ! [[x]]") == (
        '<p><code>![[photo.png]]</code> ! <span class="unresolved-link">x</span></p>\n')


def test_wikilinks_in_code_stay_as_written() -> None:
    html = render("`[[sleep-schedule]]`\n\n```\n[[sleep-schedule]] <b>\n```\n\n    [[2026-11-20]]\n")
    assert "href" not in html
    assert "<code>[[sleep-schedule]]</code>" in html
    assert "<code>[[sleep-schedule]] &lt;b&gt;\n</code>" in html
    assert "<code>[[2026-11-20]]\n</code>" in html


def test_a_wikilink_inside_a_tag_stays_as_written() -> None:
    assert render('<a href="https://example.org" title="[[sleep-schedule]]">site</a> and [[sleep-schedule]]') == (
        '<p><a href="https://example.org" title="[[sleep-schedule]]" rel="noopener noreferrer">site</a> and '
        '<a class="internal" href="../goals/sleep-schedule.html" title="Sleep schedule" rel="noopener noreferrer">'
        'sleep-schedule</a></p>\n')


def test_a_wikilink_alias_does_not_split_a_table_cell() -> None:
    html = render("| goal | note |\n|---|---|\n| [[sleep-schedule|sleep]] | ok |\n")
    assert '<td><a class="internal" href="../goals/sleep-schedule.html"' in html
    assert html.count("<td>") == 2


def test_github_markdown_tables_strikethrough_tasks_and_autolinks() -> None:
    html = render("| a | b |\n|---|--:|\n| ~~old~~ | 2 |\n\n- [ ] call a friend\n- [x] breathing\n\n"
                  "www.example.org and https://example.org/page\n")
    assert '<th align="right">b</th>' in html
    assert "<td><del>old</del></td>" in html
    assert '<li><span class="task-box" role="img" aria-label="to do">☐</span> call a friend</li>' in html
    assert '<li><span class="task-box" role="img" aria-label="done">☑</span> breathing</li>' in html
    assert '<a href="https://www.example.org" rel="noopener noreferrer">www.example.org</a>' in html
    assert '<a href="https://example.org/page" rel="noopener noreferrer">https://example.org/page</a>' in html


def test_a_line_break_shows_as_obsidian_shows_it() -> None:
    assert render("Woke up early.\nQuiet train.\n\nA new paragraph.") == (
        "<p>Woke up early.<br>\nQuiet train.</p>\n<p>A new paragraph.</p>\n")
    assert render("- one\n  still one\n- two") == "<ul>\n<li>one<br>\nstill one</li>\n<li>two</li>\n</ul>\n"
    assert render("```\na\nb\n```") == "<pre><code>a\nb\n</code></pre>\n"


def test_strict_line_breaks_join_lines_as_github_does() -> None:
    assert render_markdown("Woke up early.\nQuiet train.", GOALS.get, "../", strict_line_breaks=True) == (
        "<p>Woke up early.\nQuiet train.</p>\n")
    assert render_markdown("> [!tip] Title\n> text", GOALS.get, "../", strict_line_breaks=True) == (
        '<blockquote class="callout callout-tip">\n<p class="callout-title">Title</p>\n<p>text</p>\n</blockquote>\n')


def test_a_list_right_after_a_line_is_a_list_as_in_commonmark() -> None:
    assert render("Today:\n- walked\n- slept\n") == "<p>Today:</p>\n<ul>\n<li>walked</li>\n<li>slept</li>\n</ul>\n"


def test_pictures_show_their_description_and_never_load() -> None:
    html = render('![the *lake* at dawn](https://example.org/a.png "t") <img src="x.png" alt="a &amp; b">'
                  " ![](https://example.org/b.png)")
    assert "<img" not in html
    assert '<span class="image-alt">[picture: the lake at dawn]</span>' in html
    assert '<span class="image-alt">[picture: a &amp; b]</span>' in html
    assert '<span class="image-alt">[picture: no description]</span>' in html


def test_unsafe_html_and_links_are_removed() -> None:
    html = render('<script>alert(1)</script>\n\nText <b onclick="x()">bold</b> [a](javascript:alert(1)) '
                  "[b](http://example.org) <input type=checkbox> <iframe src=https://example.org></iframe>")
    assert "<script" not in html and "onclick" not in html and "javascript" not in html and "alert" not in html
    assert "<input" not in html and "<iframe" not in html
    assert "<b>bold</b>" in html
    assert "<a rel=\"noopener noreferrer\">b</a>" in html  # a plain http link loses its address


def test_private_use_characters_in_the_text_cannot_forge_a_link() -> None:
    html = render("\ue0000\ue001 [[sleep-schedule]]")
    assert html.count("<a ") == 1
    assert "\ue000" not in html and "\ue001" not in html


def test_an_excerpt_is_the_words_a_reader_sees() -> None:
    body = ("# A good day\n\n```\ncode is left out\n```\nenergy:: 4\n"
            "- [x] **Walked** with ![[dog.png|Rex]], see [[sleep-schedule|my sleep goal]]!![[a.png]] and `x`\n> quoted")
    assert plain_excerpt(body) == "A good day Walked with Rex, see my sleep goal!a.png and x quoted"
    assert plain_excerpt(body, 5) == "A good day Walked with …"


def test_highlights_show_as_obsidian_shows_them() -> None:
    assert render("A ==bright== day") == "<p>A <mark>bright</mark> day</p>\n"
    assert render("==a *b* c== d") == "<p><mark>a <em>b</em> c</mark> d</p>\n"
    assert render("==a `code` b==") == "<p><mark>a <code>code</code> b</mark></p>\n"
    assert render("==*em*== and ==a\nb==") == "<p><mark><em>em</em></mark> and <mark>a<br>\nb</mark></p>\n"
    assert render("[==x==](https://www.example.org)") == (
        '<p><a href="https://www.example.org" rel="noopener noreferrer"><mark>x</mark></a></p>\n')
    assert render("| a | b |\n|---|---|\n| ==x== | y== |").count("<mark>x</mark>") == 1


def test_marks_without_a_pair_in_their_block_stay_as_written() -> None:
    assert render("a == b == c") == "<p>a == b == c</p>\n"  # no word after the first or before the second
    assert render("===x===") == "<p>===x===</p>\n"
    assert render("para ==one\n\npara two==") == "<p>para ==one</p>\n<p>para two==</p>\n"
    assert render("==a *b== c*") == "<p>==a <em>b== c</em></p>\n"  # would cut the emphasis in two
    assert render("`==code==` and ==x==") == "<p><code>==code==</code> and <mark>x</mark></p>\n"
    assert render("```\n==fenced==\n```") == "<pre><code>==fenced==\n</code></pre>\n"


_CMARK_PIECES = st.sampled_from(["==", "=", " ", "\n", "\n\n", "a", "*", "**", "`", "> ", "- ", "[x](https://a.org)",
                                 "<b>", "</b>", "|", "\n|---|\n", "[[sleep-schedule]]"])


@given(st.lists(_CMARK_PIECES, max_size=25).map("".join))
@settings(max_examples=500, deadline=None)
def test_highlighting_only_turns_paired_marks_into_tags(text: str) -> None:
    html = markup.cmarkgfm.markdown_to_html_with_extensions(text, options=markup._CMARK_OPTIONS,
                                                            extensions=markup._CMARK_EXTENSIONS)
    marked = markup._highlights(html)
    assert marked.replace("<mark>", "==").replace("</mark>", "==") == html
    depth = 0
    for tag in re.findall(r"</?mark>|</?(?:p|li|td|th|blockquote|pre)>", marked):
        if tag in ("<mark>", "</mark>"):
            depth += 1 if tag == "<mark>" else -1
            assert depth in (0, 1)
        else:  # no highlight reaches out of its block
            assert depth == 0, marked
    assert depth == 0
    assert not re.search(r"<code>(?:(?!</code>).)*mark>", marked, re.S)  # nor into code


def test_a_quote_that_starts_with_a_kind_is_a_callout() -> None:
    assert render("> [!note]\n> Take it slowly.") == (
        '<blockquote class="callout callout-note">\n<p class="callout-title">Note</p>\n'
        "<p>Take it slowly.</p>\n</blockquote>\n")
    assert render("> [!WARNING] Be *gentle*\n> one line\n> two") == (
        '<blockquote class="callout callout-warning">\n<p class="callout-title">Be <em>gentle</em></p>\n'
        "<p>one line<br>\ntwo</p>\n</blockquote>\n")
    assert render("> [!success]- Folded, shown open\n> - a") == (
        '<blockquote class="callout callout-tip">\n<p class="callout-title">Folded, shown open</p>\n'
        "<ul>\n<li>a</li>\n</ul>\n</blockquote>\n")
    assert render("> [!my-own-kind]") == (
        '<blockquote class="callout callout-note">\n<p class="callout-title">My own kind</p>\n</blockquote>\n')
    assert render("> > [!bug] inner") == (
        '<blockquote>\n<blockquote class="callout callout-danger">\n<p class="callout-title">inner</p>\n'
        "</blockquote>\n</blockquote>\n")


def test_a_kind_later_in_a_quote_or_outside_one_is_words() -> None:
    assert render("> quote [!note]") == "<blockquote>\n<p>quote [!note]</p>\n</blockquote>\n"
    assert render("[!note] not quoted") == "<p>[!note] not quoted</p>\n"
    assert render("> `[!note]`") == "<blockquote>\n<p><code>[!note]</code></p>\n</blockquote>\n"


def test_footnotes_lead_to_their_note_and_back() -> None:
    assert render("Slept well[^1].\n\n[^1]: First time this month.") == (
        '<p>Slept well<sup><a href="#fn-1" id="fnref-1" rel="noopener noreferrer">1</a></sup>.</p>\n'
        '<section class="footnotes">\n<ol>\n<li id="fn-1">\n<p>First time this month. '
        '<a href="#fnref-1" class="footnote-backref" aria-label="Back to reference 1" rel="noopener noreferrer">↩</a>'
        "</p>\n</li>\n</ol>\n</section>\n")


def test_only_footnotes_keep_an_id() -> None:
    """An id written by hand could take the name of one the page's script looks for."""
    assert render('<a id="search-input" href="#x">x</a> <span id="fn-1">y</span>') == (
        '<p><a href="#x" rel="noopener noreferrer">x</a> <span>y</span></p>\n')
    html = render('A[^1] <a id="search-input">x</a>\n\n[^1]: Note.')
    assert re.findall(r'\bid="([^"]*)"', html) == ["fnref-1", "fn-1"]


def test_classes_written_by_hand_are_only_the_callouts_own() -> None:
    assert render('<p class="callout-title big">x</p>\n\n<blockquote class="evil callout">y</blockquote>') == (
        '<p class="callout-title">x</p>\n<blockquote class="callout">y</blockquote>\n')


def test_an_excerpt_leaves_out_highlight_callout_and_footnote_marks() -> None:
    assert plain_excerpt("> [!tip] To remember\n> it was ==the skill itself==[^1], and a == b\n\n[^1]: Dr Lee") == (
        "To remember it was the skill itself, and a == b Dr Lee")


# The patterns as first written, each starting with what it looks back for: slower (tried at every
# character), plainly right. The quick ones must find exactly what these find.
_PLAIN_TAG = re.compile(r"(?<![\w/#&])#([\w/-]+)")
_PLAIN_TRACKER = re.compile(r"(?<![\w/#&])#([\w/-]+):([-+]?\d+(?:\.\d+)?)[^\s\d,;.!?)\]]*")
_PLAIN_WIKILINK = re.compile(r"(!?)\[\[([^\[\]|#^\n]*)((?:#|\^)[^\[\]|\n]*)?(?:\|([^\[\]\n]*))?\]\]")
_PLAIN_RENDER_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]*?[^\[\]\s][^\[\]\n]*?)\]\]")
_PIECES = st.sampled_from(["!", "!!", "[[", "]]", "[", "]", "|", "#", "^", " ", "\n", "a", "é", "1", "2.5", ":", "/",
                           "&", "_", "-", "x|y", "goal-1", "#mood/ok", "#steps:8074", "![[a.png]]", "`"])


@given(st.lists(_PIECES, max_size=30).map("".join))
@settings(max_examples=600, deadline=None)
def test_the_quick_patterns_find_what_the_plain_ones_find(text: str) -> None:
    def found(pattern: re.Pattern[str]) -> list[tuple[object, ...]]:
        return [(match.span(), match.groups()) for match in pattern.finditer(text)]

    assert found(markup._TAG) == found(_PLAIN_TAG)
    assert found(markup._TRACKER) == found(_PLAIN_TRACKER)
    assert markup._link_words(text) == _PLAIN_WIKILINK.sub(lambda m: (m.group(4) or m.group(2)).strip(), text)
    # Links as scan_body reads them: an embed is no link; the place is where the brackets start.
    links = [(m.start(2) - 2, m.groups()[1:]) for m in _PLAIN_WIKILINK.finditer(text) if not m.group(1)]
    assert [(m.start(), m.groups()) for m in markup._WIKILINK.finditer(text)
            if not (m.start() and text[m.start() - 1] == "!")] == links
    held_text, held = markup._hold(text)
    plain: list[tuple[str, str]] = []

    def hold(match: re.Match[str]) -> str:
        plain.append((match.group(0), match.group(2)))
        return f"\ue000{len(plain) - 1}\ue001"

    assert (held_text, [(link.written, link.inner) for link in held]) == (_PLAIN_RENDER_WIKILINK.sub(hold, text), plain)


@given(st.text(alphabet="ab %<!->`\n", max_size=60))
@settings(max_examples=400, deadline=None)
def test_a_hidden_comment_keeps_every_line_and_column(text: str) -> None:
    blanked = markup.without_comments(text, keep_places=True)
    assert [len(line) for line in blanked.split("\n")] == [len(line) for line in text.split("\n")]
    assert all(kept in (same, " ") for kept, same in zip(blanked, text, strict=True))
    assert markup.without_comments(text).count("\n") == text.count("\n")


def test_comments_are_hidden_as_obsidian_hides_them() -> None:
    hide = markup.without_comments
    assert hide("Fine. %%private thought%% Walked.") == "Fine.  Walked."
    assert hide("Fine. %%private%% Walked.", keep_places=True) == "Fine.             Walked."
    assert hide("a\n%%\nnot for the session\n%%\nb") == "a\n\n\n\nb"
    assert hide("x <!-- one\ntwo --> y") == "x \n y"
    assert hide("a %%b%% c <!--d--> e") == "a  c  e"
    assert hide("left open %% so the rest\nis hidden") == "left open \n"  # as in Obsidian
    assert hide("`%%code%%` and %%not%%.") == "`%%code%%` and ."
    assert hide("```\n%%in a fence%%\n```\nafter %%it%%.") == "```\n%%in a fence%%\n```\nafter ."
    assert hide("no marks at all") == "no marks at all"


# What cmark-gfm's autolink extension looks at, whole and in parts: a text without `www.`, `://` or `@`
# is parsed without it (`_may_autolink`), and must come out as it would with it.
_AUTOLINK_PIECES = st.sampled_from(["www.a.org", "www", ".", "w", "W", "WWW.a.org", "http", "https", "ftp", ":", "/",
                                    "//", "://b.org", "http://b.org", "mailto:", "xmpp:", "@", "a@b.org", "_", "~",
                                    "(", ")", "<", "&amp;", "x", "1", "-"])


@given(st.lists(_CMARK_PIECES | _AUTOLINK_PIECES | _AUTOLINK_PIECES
                | st.sampled_from(["[^1]", "\n\n[^1]: a note", "- [ ] ", "# ", "\0"]),
                max_size=25).map("".join))
@settings(max_examples=600, deadline=None)
def test_cmark_is_called_as_its_own_wrapper_calls_it(text: str) -> None:
    assert markup._FREES is not None  # the compiled binding shows what is freed (else its wrapper is used)
    for options in (markup._CMARK_OPTIONS, markup._CMARK_STRICT_OPTIONS):
        assert markup._cmark_html(text, options) == markup.cmarkgfm.markdown_to_html_with_extensions(
            text, options=options, extensions=markup._CMARK_EXTENSIONS)


def test_text_that_may_gain_a_link_is_parsed_with_the_autolink_extension() -> None:
    html = {text: markup._cmark_html(text, markup._CMARK_OPTIONS)
            for text in ("see www.a.org", "see http://a.org", "mail a@b.org", "no link: w, www and : here")}
    assert html == {"see www.a.org": '<p>see <a href="http://www.a.org">www.a.org</a></p>\n',
                    "see http://a.org": '<p>see <a href="http://a.org">http://a.org</a></p>\n',
                    "mail a@b.org": '<p>mail <a href="mailto:a@b.org">a@b.org</a></p>\n',
                    "no link: w, www and : here": "<p>no link: w, www and : here</p>\n"}
    assert [markup._may_autolink(text) for text in html] == [True, True, True, False]


def test_rendering_keeps_no_memory_once_a_body_is_done() -> None:
    """cmarkgfm's own wrapper keeps each parsed body and its HTML (about 40 MB for these 3,000 renders)."""
    script = (
        "import resource\n"
        "from goalsite.markup import render_markdown\n"
        "body = ('A *quiet* day, [[sleep]] and a [link](https://a.org).\\n\\n- [x] walk\\n- [ ] read\\n\\n'"
        " '| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\n') * 20\n"
        "render_markdown(body, lambda name: None, '../')\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "for _ in range(3000):\n"
        "    render_markdown(body, lambda name: None, '../')\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    grown_kib = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert grown_kib < 8 * 1024


# ---------------------------------------------------------------- the sanitizer's work, done without it

WORDS = ["café", "naïve —", "’tis", "😀", "a\u00a0b", "&nbsp;", "&amp;", "&copy;", "&#39;", "&quot;", '"quoted"',
         "'single'", "a & b", "1 > 0", "x < y", "*em*", "**strong**", "_u_", "~~gone~~", "==marked==", "`code`",
         '`a & "b"`', "\\*not em\\*", "tab\there", "form\x0cfeed", "line\u2028sep", "nul\x00", "cr\r\nlf"]
LINKS = ["[t](https://example.org/a?b=1&c=2)", "[t](http://example.org)", "[t](mailto:a@example.org)",
         "[t](javascript:alert(1))", "[t](/rel/path \"Title & 'q' <x>\")", "[t](../x.html#frag)", "[t]()",
         "[t](https://xn--bcher-kva.example)", "[t](https://1.2.3.999/)", "[t](HTTPS://EXAMPLE.ORG)",
         "[t](https://example.org:8080/)", "[t](//elsewhere.example/x)", "[t](<https://a b>)", "<https://example.org>",
         "www.example.com", "https://example.org/x_(y)", "someone@example.org", "![alt](https://example.org/y.png)",
         '![a "q"](y.png)', "[[sleep-schedule]]", '[[sleep-schedule|my "goal" & co]]', "[[2026-11-20]]",
         "[[nowhere]]", "![[pic.png]]", "[[sleep-schedule#Why|why]]", "[see [[sleep-schedule]]](https://example.org)",
         "[[sleep-schedule]] in `[[code]]`", "[t](https://example.org/[[2026-11-20]])", "[[it's \"odd\"]]"]
BLOCKS = ["# Heading", "## H2 *em* [[sleep-schedule]]", "> quote", "> [!tip] Title & 'more'\n> body",
          "> [!warning]\n> careful", "- item\n- item two", "1. a\n2. b", "3. c", "- [ ] to do\n- [x] done",
          "```py\ncode & <b> \"q\"\n```", "    indented & code", "***", "| a | b |\n|:-|-:|\n| 1 | [[2026-11-20]] |",
          "line one\nline two", "hard  \nbreak", "term:: value", "#tag #tracker:5", "x[^1]\n\n[^1]: a note",
          "<b>bold</b>", "<!-- hidden -->", "%% hidden %%"]


@st.composite
def markdown_texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(WORDS + LINKS + BLOCKS), min_size=1, max_size=8))
    joins = draw(st.lists(st.sampled_from([" ", "\n", "\n\n"]), min_size=len(pieces), max_size=len(pieces)))
    return "".join(piece + join for piece, join in zip(pieces, joins, strict=True))


def sanitized_only(text: str) -> str:
    """The text rendered with every HTML through the sanitizer itself."""
    made, markup._as_sanitized = markup._as_sanitized, lambda html: None
    try:
        return render(text)
    finally:
        markup._as_sanitized = made


@settings(max_examples=600, deadline=None)
@given(markdown_texts())
def test_html_made_clean_without_the_sanitizer_is_what_the_sanitizer_makes(text: str) -> None:
    assert render(text) == sanitized_only(text)


def test_plain_text_needs_no_second_parse_and_raw_html_always_gets_one() -> None:
    """Most bodies (text, links to goals, lists, tables, callouts, pictures' words) are written as the
    sanitizer would write them; raw HTML, highlights, other addresses and links in links go through it."""
    seen: list[str | None] = []
    made = markup._as_sanitized

    def spied(html: str) -> str | None:
        seen.append(made(html))
        return seen[-1]

    markup._as_sanitized = spied
    try:
        plain = ["Slept *well*; walked — 20 min.\nSee [[sleep-schedule]] & [[2026-11-20]].",
                 "- [x] done\n- [ ] not yet\n\n| a | b |\n|---|---|\n| 1 | 2 |", "> [!tip] Try\n> it\n\n***",
                 "[docs](https://example.org/a?b=1&c=2 \"the 'docs'\")", "a\u00a0b", "```\ncode\n```",
                 "![a picture](https://example.org/p.png)", "[[it's \"odd\"]]"]
        for text in plain:
            assert render(text) == sanitized_only(text)
        assert all(html is not None for html in seen) and len(seen) == len(plain)
        seen.clear()
        others = ["==marked==", "[a](http://example.org)", "[a](mailto:a@b.org)",
                  "[see [[sleep-schedule]]](https://example.org)", '[a](/x "say \\"hi\\"")', "[a](https://1.2.3.4)",
                  "[a](https://example.org:8080/)", "[a](https://xn--bcher-kva.example)"]
        for text in others:
            assert render(text) == sanitized_only(text)
        assert seen == [None] * len(others)
        seen.clear()
        assert "onclick" not in render("<b onclick=\"x()\">b</b> [a](javascript:alert(1))") and seen == []
    finally:
        markup._as_sanitized = made


EXCERPT_PIECES = ["word", "two words", "**bold**", "*", "_", "__x__", "==hi==", "a == b", "`code`", "[[goal|my  goal]]",
                  "[[a b]]", "![[pic.png]]", "[[open", "]]", "#tag", "- ", "- [ ] ", "- [  ] ", "-\t[x]\t", "1. ", "> ",
                  "> [!tip] ", "[^1]", "[^1]:", "x::y", "é", "—", "~~s~~", "\n", "\n\n", "```", "# H", "a\u00a0b"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(EXCERPT_PIECES), st.sampled_from([" ", "  ", "", "\t"])), max_size=80),
       st.sampled_from([1, 3, 12, 24, 30]))
def test_an_excerpt_is_the_first_words_of_the_whole_text_read_as_words(pieces: list[tuple[str, str]],
                                                                        count: int) -> None:
    """An excerpt reads only as much of a long line as it needs: it is still exactly the first words of
    the text read whole (an excerpt too long to cut)."""
    text = "".join(piece + space for piece, space in pieces)
    every = plain_excerpt(text, 10**9).split()
    assert plain_excerpt(text, count) == (" ".join(every[:count]) + " …" if len(every) >= count else " ".join(every))
