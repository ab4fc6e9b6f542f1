import os

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Acme Shop</title></head>
<body>
<h1>Acme Shop</h1>
<p>Fresh coffee, roasted daily.</p>
<footer>&copy; 2026 Acme Shop</footer>
</body>
</html>
"""


def home(request):
    return HttpResponse(PAGE)


def styled(request):
    # The shop's page with its static files: a stylesheet, a print
    # stylesheet, an icon, a script, an image, a PDF behind a plain link,
    # and (SHOP_TRACKER_URL) a script on another host.
    return render(request, "shop/styled.html", {"tracker": os.environ.get("SHOP_TRACKER_URL", "")})


def product(request, pk):
    # Only product 1 exists: any other raises Http404 from inside a view.
    if pk != 1:
        raise Http404("No product matches the given query.")
    return HttpResponse(PAGE.replace("<h1>Acme Shop</h1>", "<h1>Acme Shop: Espresso beans</h1>"))


def api_status(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        ok = cursor.fetchone()[0] == 1
    return JsonResponse({"status": "ok" if ok else "error", "version": "1.4.2", "checks": {"database": ok}})


def boom(request):
    # A bug in production code: what a DEBUG=True deployment shows the world.
    raise ZeroDivisionError("division by zero in the checkout total")


@login_required
def account(request):
    # Behind the login: it proves the session, the auth backend and the
    # database answered for a real user (django.login's "expect").
    return render(request, "shop/account.html")
