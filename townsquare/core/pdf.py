"""HTML to PDF through WeasyPrint, without its process-wide side effect.

Importing WeasyPrint sets Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` to True for the
whole process, which would make the media library accept truncated (damaged or
hostile) images as whole ones. Every PDF in Townsquare is made here, and the flag is
put back to Pillow's default around the import and the rendering.
"""

from __future__ import annotations

from PIL import ImageFile


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (fonts from the system, no network)."""
    try:
        from weasyprint import HTML

        ImageFile.LOAD_TRUNCATED_IMAGES = False
        pdf = HTML(string=html).write_pdf()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    if pdf is None:  # only when a target is given, which is never done here
        raise RuntimeError("WeasyPrint returned no PDF")
    return pdf
