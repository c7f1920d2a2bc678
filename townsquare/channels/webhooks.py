"""HTTP endpoints that networks call. Raw body stored first; verified before it counts."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from townsquare.channels.adapters.base import AdapterError, Network
from townsquare.channels.adapters.registry import WEBHOOKS, webhook_handler
from townsquare.channels.models import Account
from townsquare.channels.services.credentials import credentials_load
from townsquare.channels.services.inbound import webhook_receive


def _network_or_404(network: str) -> Network:
    try:
        value = Network(network)
    except ValueError as exc:
        raise Http404("Unknown network") from exc
    if value not in WEBHOOKS:
        raise Http404("This network has no webhooks")
    return value


def _secret_for(network: Network, account: Account | None) -> str:
    if account is not None:
        extra = credentials_load(account).extra
        # Twilio signs with the account's auth token; others have a webhook secret.
        return str(extra.get("webhook_secret") or extra.get("auth_token") or "")
    return str(settings.WEBHOOK_SECRETS.get(network.value, ""))


def _verify_token_for(network: Network, account: Account | None, secret: str) -> str:
    """The token a subscription challenge must echo (Meta's verify token); else the secret."""
    if account is not None:
        token = str(credentials_load(account).extra.get("webhook_verify_token", ""))
    else:
        token = str(settings.WEBHOOK_VERIFY_TOKENS.get(network.value, ""))
    return token or secret


@csrf_exempt
def receive(request: HttpRequest, network: str, account_id: int | None = None) -> HttpResponse:
    kind = _network_or_404(network)
    account = None
    if account_id is not None:
        account = Account.objects.filter(pk=account_id, network=kind.value).first()
        if account is None:
            raise Http404("Unknown account")
    secret = _secret_for(kind, account)
    if not secret:
        # Without a shared secret nothing can be verified, so nothing is accepted.
        return JsonResponse({"error": "webhook not configured"}, status=404)
    query = {key: request.GET.get(key, "") for key in request.GET}
    if request.method == "GET":
        try:
            answer = webhook_handler(kind).handshake(
                query, _verify_token_for(kind, account, secret)
            )
        except AdapterError:
            return JsonResponse({"error": "challenge refused"}, status=403)
        if answer is None:
            return JsonResponse({"error": "not a subscription challenge"}, status=400)
        return HttpResponse(answer, content_type="text/plain")
    if request.method != "POST":
        return JsonResponse({"error": "method not allowed"}, status=405)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        # Proxies normally refuse this; if one lets it through, say so rather than fail.
        return JsonResponse({"error": "invalid Content-Length"}, status=400)
    if length > settings.WEBHOOK_MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    outcome = webhook_receive(
        network=kind.value,
        body=request.body,
        # Some networks (Twilio) sign the full public address of the request.
        headers={**dict(request.headers), "X-Townsquare-Url": request.build_absolute_uri()},
        query=query,
        secret=secret,
        account=account,
    )
    if outcome.status != 200:
        return JsonResponse({"error": outcome.message}, status=outcome.status)
    # Some networks (WeChat) want a literal "success"; the rest accept any 200.
    if kind == Network.WECHAT:
        return HttpResponse("success", content_type="text/plain")
    return JsonResponse({"ok": True, "changes": outcome.changes})
