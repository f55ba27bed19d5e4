"""Public URLs, mounted at ``/s/`` (a prefix the login middleware lets through)."""

from django.urls import path

from . import share_views

app_name = "share"
urlpatterns = [
    path("t/<str:value>/", share_views.temporary, name="temporary"),
    path("<str:token>/", share_views.board, name="board"),
    path("<str:token>/a/<uuid:asset_id>/", share_views.item, name="item"),
    path("<str:token>/a/<uuid:asset_id>/r/<slug:spec>/", share_views.rendition, name="rendition"),
    path("<str:token>/a/<uuid:asset_id>/download/", share_views.download, name="download"),
]
