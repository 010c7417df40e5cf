"""The HTML reports are written by Jinja2 templates with autoescape: text from a scenario (its
name, its file's path, its comments) appears escaped exactly once, in the body, in figure
captions and in their alt text alike."""

from __future__ import annotations

import html
import re

import enforcesim
from enforcesim.study import render

NAME = '<script>alert("x")</script> & co'
SCENARIO = f"""# A <b>header</b> & more. Day 0 = 2024-10-01.
[scenario]
name = '{NAME}'  # a TOML literal string: the double quotes stay
days = 30
seed = 3
replicates = 2

[book_ins]
rate_per_day = 20.0  # persons/day <i>test</i> & more

[detention]
beds = 200
when_full = "release"
length_of_stay = {{ dist = "exponential", mean = 6.0 }}
removal_share = 0.5
"""


def test_scenario_text_is_escaped_once_everywhere(tmp_path):
    path = tmp_path / "a&b.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "run"
    enforcesim.run(path, workers=1).write(out)
    page = render(out, tmp_path / "rep").read_text()
    assert "<script>" not in page and "<b>header</b>" not in page and "<i>test</i>" not in page
    assert "&amp;lt;" not in page and "&amp;amp;" not in page  # nothing escaped twice
    assert html.escape(NAME) in page.replace("&#34;", "&quot;")  # either way of writing "
    assert "a&amp;b.toml" in page
    assert "persons/day &lt;i&gt;test&lt;/i&gt; &amp; more" in page
    figures = re.findall(
        r'<figure><img alt="([^"]*)" src="[^"]*"><figcaption>(.*?)</figcaption>', page, re.S
    )
    assert len(figures) >= 2
    for alt, caption in figures:
        assert "<" not in caption  # a caption is text, its markup escaped
        assert html.unescape(alt) == " ".join(html.unescape(caption).split())
    assert any(NAME in html.unescape(alt) for alt, _ in figures)
