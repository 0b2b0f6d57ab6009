"""What a missing page or a server error looks like: the API's error shape under /api/ (a
client parsing JSON must not get HTML), a page with the studio's look elsewhere. The 500 page
renders without the database or the request's user: whatever broke may be behind either."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.template import loader

from .api.errors import is_api_request, json_error_response


def page_not_found(request, exception=None) -> HttpResponse:
    if is_api_request(request):
        return json_error_response(request, 404, "There is no such API endpoint; see /api/docs/.")
    return HttpResponseNotFound(loader.render_to_string("404.html", {"request_path": request.path}, request))


def server_error(request) -> HttpResponse:
    if is_api_request(request):
        return json_error_response(request, 500, "The server failed to answer; the error is in its log.")
    return HttpResponseServerError(loader.get_template("500.html").render())
