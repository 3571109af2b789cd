"""Plain text out of the HTML that ArcGIS Hub and others put in DCAT-US text fields.

The helper is shared with the licence vocabulary and lives in :mod:`catalog.html_text`;
this module keeps the names the DCAT-US code and its tests import.
"""

from __future__ import annotations

from catalog.html_text import looks_like_html, plain_text

__all__ = ["looks_like_html", "plain_text"]
