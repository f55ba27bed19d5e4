from django.urls import path

from . import views

urlpatterns = [
    path(
        "tools/<uuid:asset_id>/palette-preview/",
        views.palette_preview,
        name="tools_palette_preview",
    ),
    path(
        "tools/<uuid:asset_id>/palette.<str:fmt>",
        views.palette_download,
        name="tools_palette_download",
    ),
]
