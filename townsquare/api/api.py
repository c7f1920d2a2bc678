"""The REST API: django-ninja, thin over services and selectors."""

from ninja import NinjaAPI

api = NinjaAPI(title="Townsquare API", version="1", urls_namespace="api")
