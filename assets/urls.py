from django.urls import path

from . import views

app_name = "assets"
urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("trash/", views.trash, name="trash"),
    path("trash/empty/", views.trash_empty, name="trash_empty"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/download/", views.bulk_download, name="bulk_download"),
    path("collections/", views.collections, name="collections"),
    path("collections/<uuid:collection_id>/", views.collection, name="collection"),
    path("collections/<uuid:collection_id>/edit/", views.collection_edit, name="collection_edit"),
    path(
        "collections/<uuid:collection_id>/delete/",
        views.collection_delete,
        name="collection_delete",
    ),
    path("shares/", views.shares, name="shares"),
    path("shares/new/", views.share_create, name="share_create"),
    path("shares/<uuid:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("<uuid:asset_id>/", views.detail, name="detail"),
    path("<uuid:asset_id>/file/", views.file, name="file"),
    path("<uuid:asset_id>/download/", views.export, name="export"),
    path("<uuid:asset_id>/thumb/", views.thumbnail, name="thumbnail"),
    path("<uuid:asset_id>/r/<slug:spec>/", views.rendition, name="rendition"),
    path("<uuid:asset_id>/favourite/", views.favourite, name="favourite"),
    path("<uuid:asset_id>/rename/", views.rename, name="rename"),
    path("<uuid:asset_id>/tags/", views.tag_add, name="tag_add"),
    path("<uuid:asset_id>/tags/remove/", views.tag_remove, name="tag_remove"),
    path("<uuid:asset_id>/collections/", views.asset_collection, name="asset_collection"),
    path("<uuid:asset_id>/trash/", views.trash_asset, name="trash_asset"),
    path("<uuid:asset_id>/restore/", views.restore_asset, name="restore_asset"),
    path("<uuid:asset_id>/compare/", views.compare, name="compare"),
    path("<uuid:asset_id>/link/", views.temp_link, name="temp_link"),
    path(
        "<uuid:asset_id>/palettes/<uuid:palette_id>/rename/",
        views.palette_rename,
        name="palette_rename",
    ),
    path(
        "<uuid:asset_id>/palettes/<uuid:palette_id>/delete/",
        views.palette_delete,
        name="palette_delete",
    ),
    path(
        "<uuid:asset_id>/link/<uuid:link_id>/revoke/",
        views.temp_link_revoke,
        name="temp_link_revoke",
    ),
]
