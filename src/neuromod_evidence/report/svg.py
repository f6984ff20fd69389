"""Make matplotlib's SVG safe to inline in a page that has a strict Content-Security-Policy.

Every figure of a page lives in one HTML document, so ids must be unique (prefixed per figure), global
``<style>`` and ``<metadata>`` go, and the ``<svg>`` gets role=img, a title and an aria-label. matplotlib
escapes its own text, so the result is marked safe for Jinja.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_SVG_HEAD = re.compile(r"^.*?(<svg\b)", re.S)
_STRIP = re.compile(r"<metadata>.*?</metadata>|<style[^>]*>.*?</style>", re.S)


def inline_svg(svg: str, prefix: str, label: str) -> Markup:
    """Unique ids, no global style, role=img with an aria-label and a <title>."""
    svg = _SVG_HEAD.sub(r"\1", svg, count=1)
    svg = _STRIP.sub("", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    m = re.search(r'<svg\b[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', svg)
    width = f"{float(m.group(1)):.0f}pt" if m else "100%"
    svg = re.sub(r'(<svg\b[^>]*?)\swidth="[^"]*"', r"\1", svg, count=1)
    svg = re.sub(r'(<svg\b[^>]*?)\sheight="[^"]*"', r"\1", svg, count=1)
    title_id = f"{prefix}-title"
    attrs = (
        f' class="fig" role="img" aria-labelledby="{title_id}" aria-label="{escape(label)}"'
        f' style="max-width:{width}" preserveAspectRatio="xMinYMin meet"'
    )
    svg = svg.replace("<svg", "<svg" + attrs, 1)
    svg = re.sub(r"(<svg\b[^>]*>)", rf'\1<title id="{title_id}">{escape(label)}</title>', svg, count=1)
    return Markup(svg.strip())
