"""What every web page shares: its language, its layout context, security headers and form checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from alerts.api.context import ApiContext, get_context
from alerts.links import link_secret
from alerts.web.forms import check_form_token
from alerts.web.i18n import LANG_COOKIE, LANGUAGES, choose_language, environment, language


def N_(message: str) -> str:  # the name Babel's extractor looks for
    """Marks an English message for the catalogs; the page template translates it when it is shown."""
    return message


class PageError(Exception):
    """Ends a request with an error page: HTTP status, heading and explanation (English source strings)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def security_headers(tile_url: str) -> dict[str, str]:
    """Headers on every page: no framing (a Confirm button must not be clickjacked), no Referer to other
    sites (manage and confirm URLs carry their token; same-origin keeps the Origin header on our own form
    posts), scripts and styles only from this server."""
    images = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        images += f" {parts.scheme}://{parts.netloc}"
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        ),
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


def page_language(request: Request) -> str:
    """The language this request's page is shown in (``?lang``, cookie, ``Accept-Language``)."""
    return choose_language(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), request.headers.get("accept-language", "")
    )


def lang_url(request: Request, code: str) -> str:
    """This page's URL (path and query) in another language."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', code)])}"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` in the request's language, with the layout's context and security headers."""
    ctx = get_context(request)
    code = page_language(request)
    lang = language(code)
    html = (
        environment(code)
        .get_template(template)
        .render(
            lang=lang,
            languages=[(language(c), lang_url(request, c)) for c in LANGUAGES],
            path=request.url.path,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status, headers=security_headers(ctx.settings.web.map_tile_url))
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def error_page(request: Request, error: PageError) -> HTMLResponse:
    """The page for a ``PageError``."""
    return render(request, "message.html", error.status, title=error.title, message=error.message)


def secret_of(ctx: ApiContext) -> bytes:
    """The installation's signing key (shared by link tokens and form tokens, kept in the database)."""
    with ctx.db.session() as session:
        return link_secret(session)


async def read_form(request: Request) -> dict[str, list[str]]:
    """The posted ``application/x-www-form-urlencoded`` fields (the only encoding these forms use)."""
    body = (await request.body()).decode("utf-8", "replace")
    return parse_qs(body, keep_blank_values=True)


def check_post(request: Request, ctx: ApiContext, form: dict[str, list[str]], action: str, sub_id: str = "") -> None:
    """Refuse a form post from another site (its Origin, "null" included) or without a valid signed form token."""
    origin = request.headers.get("origin")
    if origin is not None:
        ours = {f"{request.url.scheme}://{request.url.netloc}", _origin(ctx.settings.api.public_url)}
        if origin not in ours:
            raise PageError(403, N_("Form refused"), N_("This form was sent from another site."))
    problem = check_form_token(secret_of(ctx), (form.get("form_token") or [""])[0], action, sub_id)
    if problem == "expired":
        raise PageError(403, N_("Form expired"), N_("This form is too old. Open the page again and send it once more."))
    if problem is not None:
        raise PageError(403, N_("Form refused"), N_("This form was not made by this server. Open the page again."))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
