import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property


def asset_upload_to(instance: "Asset", filename: str) -> str:
    """``assets/<owner public id>/<yyyy>/<mm>/<asset public id>.<ext>``.

    The name carries no user-supplied text, so nothing in a path can leak or collide.
    """
    ext = PurePosixPath(filename).suffix.lower() or ".bin"
    now = timezone.now()
    return f"assets/{instance.owner_id}/{now:%Y/%m}/{instance.public_id.hex}{ext}"


def thumbnail_upload_to(instance: "Asset", filename: str) -> str:
    now = timezone.now()
    return f"thumbs/{instance.owner_id}/{now:%Y/%m}/{instance.public_id.hex}.webp"


_SOURCES: dict[str, str] = {"upload": "Upload"}


def register_source(key: str, label: str) -> None:
    """Name a source of assets (a studio module) for choices, badges and filters."""
    _SOURCES[key] = label


def source_choices() -> list[tuple[str, str]]:
    """(key, label) of every source: uploads and each registered studio module."""
    return list(_SOURCES.items())


class Asset(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        AUDIO = "audio", "Audio"
        TEXT = "text", "Text"
        MODEL3D = "model3d", "3D model"

    # Where an asset came from: "upload", or the studio module that made it. The modules
    # register their names at start-up (``register_source``), so the list follows them.
    UPLOAD = "upload"

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        TRASHED = "trashed", "In trash"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assets"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IMAGE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    title = models.CharField(max_length=255, blank=True)

    file = models.FileField(upload_to=asset_upload_to, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_upload_to, max_length=255, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    file_size = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file", db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    # Where it came from: the recipe, enough to recall it into its module.
    source_module = models.CharField(max_length=16, choices=source_choices, default=UPLOAD)
    operation = models.CharField(max_length=64, blank=True)
    prompt = models.TextField(blank=True)
    negative_prompt = models.TextField(blank=True)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=128, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # The first ancestor of the version tree, so the whole tree is one indexed query.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="descendants"
    )
    # The job that produced it (a studio Job's public id; assets know nothing of studio).
    source_job_id = models.UUIDField(null=True, blank=True, db_index=True)
    # A job's outputs form one stack in the library: the first output is the cover (its
    # ``stack_size`` counts the whole stack), the others point at it and stay out of the
    # grid until the stack is opened.
    stacked_under = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="stack_members"
    )
    stack_size = models.PositiveIntegerField(default=1)
    # An edit mask: kept out of the library and its search, reached through the job that
    # used it (the Edit studio sets it when a mask is uploaded or painted).
    is_mask = models.BooleanField(default=False)
    cost_credits = models.PositiveIntegerField(default=0)
    generation_ms = models.PositiveIntegerField(null=True, blank=True)

    # Analysis
    palette = models.JSONField(default=list, blank=True)
    focal_point = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    is_favourite = models.BooleanField(default=False)
    # Views, downloads, share views and exports together: what "most used" sorts by.
    usage_count = models.PositiveIntegerField(default=0)
    # PostgreSQL full-text document (title A, prompt B, tags C, model/provider D), kept up
    # to date by the services that change those fields. Unused (and NULL) on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    trashed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The library grid: one owner's live assets, newest first (stacked outputs and
            # masks are not grid tiles, so they are not in it).
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="asset_owner_grid_idx",
                condition=Q(status="ready", is_mask=False, stacked_under__isnull=True),
            ),
            models.Index(fields=["owner", "status", "trashed_at"], name="asset_owner_trash_idx"),
            # Keyset pagination for the other sort orders of the grid.
            models.Index(
                fields=["owner", "file_size", "id"],
                name="asset_owner_size_idx",
                condition=Q(status="ready"),
            ),
            models.Index(
                fields=["owner", "cost_credits", "id"],
                name="asset_owner_cost_idx",
                condition=Q(status="ready"),
            ),
            models.Index(
                fields=["owner", "usage_count", "id"],
                name="asset_owner_used_idx",
                condition=Q(status="ready"),
            ),
            # Seed search is an exact match.
            models.Index(fields=["owner", "seed"], name="asset_owner_seed_idx"),
        ]

    def __str__(self) -> str:
        return self.display_title

    def save(self, *args, **kwargs):
        # Keep the tree root in step with the parent however the row is made (services,
        # admin, fixtures), so the version tree never needs a recursive walk.
        if self.parent_id and not self.root_id:
            parent = self.parent
            self.root_id = parent.root_id or parent.pk
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "root"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return self.url_base

    @cached_property
    def url_base(self) -> str:
        # One reverse per asset: a grid page shows dozens of cards with several links each,
        # and every per-asset URL shares this prefix (see assets/urls.py).
        return reverse("assets:detail", args=[self.public_id])

    @property
    def is_stack(self) -> bool:
        """A job's outputs shown as one tile (this asset is the cover)."""
        return self.stack_size > 1 and self.source_job_id is not None

    @property
    def stack_url(self) -> str:
        return f"{reverse('assets:library')}?stack={self.source_job_id}"

    @property
    def favourite_url(self) -> str:
        return f"{self.url_base}favourite/"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.prompt:
            return self.prompt[:80]
        return self.original_filename or f"{self.get_kind_display()} {self.public_id.hex[:8]}"

    @property
    def plain_title(self) -> str:
        """A title that reveals nothing of the recipe (for boards that hide details)."""
        return self.title or f"{self.get_kind_display()} {self.public_id.hex[:8]}"

    @property
    def alt_text(self) -> str:
        return (self.prompt or self.title or self.original_filename or "Image")[:200]

    @property
    def has_alpha(self) -> bool:
        return bool(self.metadata.get("has_alpha"))

    def file_url(self) -> str:
        return reverse("assets:file", args=[self.public_id])

    def thumbnail_url(self) -> str:
        return reverse("assets:thumbnail", args=[self.public_id])

    def rendition_url(self, spec: str = "grid") -> str:
        return f"{self.url_base}r/{spec}/"

    @property
    def is_trashed(self) -> bool:
        return self.status == self.Status.TRASHED

    @property
    def aspect_ratio(self) -> float:
        if self.width and self.height:
            return self.width / self.height
        return 1.0


class AssetPalette(models.Model):
    """A named palette kept with an image: each extraction adds one, none overwrites another.

    ``Asset.palette`` still holds the newest one's colours (search, tags and the apply
    palette form read it there).
    """

    class Mode(models.TextChoices):
        DOMINANT = "dominant", "Dominant"
        VIBRANT = "vibrant", "Vibrant"
        MUTED = "muted", "Muted"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="palettes")
    name = models.CharField(max_length=80)
    mode = models.CharField(max_length=16, choices=Mode.choices, blank=True)
    colours = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["asset", "-created_at"], name="asset_palette_asset_idx")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A word a user files assets under. Names are lower-case and unique per owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="asset_tags"
    )
    name = models.CharField(max_length=48)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="tag_owner_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AssetTag(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Added by you"
        AUTO = "auto", "Automatic"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="asset_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="asset_tags")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tag__name"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "tag"], name="asset_tag_unique"),
        ]
        indexes = [models.Index(fields=["tag", "asset"], name="asset_tag_by_tag_idx")]

    def __str__(self) -> str:
        return f"{self.tag_id}:{self.asset_id}"


class Collection(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    cover = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assets = models.ManyToManyField(Asset, through="CollectionItem", related_name="collections")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="collection_owner_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assets:collection", args=[self.public_id])


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="collection_items")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "asset"], name="collection_item_unique"),
        ]
        indexes = [models.Index(fields=["asset", "collection"], name="collection_item_asset_idx")]

    def __str__(self) -> str:
        return f"{self.collection_id}:{self.asset_id}"


def rendition_upload_to(instance: "Rendition", filename: str) -> str:
    asset = instance.asset
    return f"renditions/{asset.owner_id}/{asset.public_id.hex}/{instance.spec}.webp"


class Rendition(models.Model):
    """A derived WebP of an asset for one display spec, made once: the grid tile of an upload
    at upload time from the decode that validated it, the others (and job outputs' tiles) by
    a task."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="renditions")
    spec = models.CharField(max_length=32)
    file = models.FileField(upload_to=rendition_upload_to, max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "spec"], name="rendition_asset_spec_unique")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}/{self.spec}"


class ShareLink(models.Model):
    """A public, read-only board of one collection or one asset behind an unguessable token."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links"
    )
    token = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=120, blank=True)
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    password = models.CharField(max_length=128, blank=True, help_text="Hashed; blank for none")
    allow_download = models.BooleanField(default=False)
    show_details = models.BooleanField(default=False)
    view_count = models.PositiveIntegerField(default=0)
    download_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collection__isnull=False, asset__isnull=True)
                | Q(collection__isnull=True, asset__isnull=False),
                name="share_link_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.token[:8]

    def get_absolute_url(self) -> str:
        return reverse("share:board", args=[self.token])

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.collection is not None:
            return self.collection.name
        return self.asset.plain_title if self.asset is not None else "Shared board"


class UsageEvent(models.Model):
    class Kind(models.TextChoices):
        VIEW = "view", "Detail views"
        DOWNLOAD = "download", "Downloads"
        SHARE_VIEW = "share_view", "Share-board views"
        SHARE_DOWNLOAD = "share_download", "Share-board downloads"
        EXPORT = "export", "Exports"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="usage_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    share = models.ForeignKey(
        ShareLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    # Where it went for exports ("instagram", "zip"), free text otherwise.
    context = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["asset", "kind"], name="usage_asset_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.asset_id}"


class TemporaryLink(models.Model):
    """A signed, expiring link to one file, listed on the asset's page until it expires and
    revocable there one by one. The signed URL carries only this row's id: revoking the
    row kills the URL even though its signature is still valid."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="temporary_links")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["asset", "expires_at"], name="assets_templink_live")]

    def __str__(self) -> str:
        return f"link to {self.asset_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class SearchTerm(models.Model):
    """A word of one owner's titles, prompts and tags: the vocabulary that a search with a
    typo is matched against ("astronut" → "astronaut") by trigram similarity.

    Words are only ever added (a stale word just finds nothing); it is orders of magnitude
    smaller than the assets, so a fuzzy match over it stays fast at any library size.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_terms"
    )
    word = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "word"], name="search_term_owner_word_unique")
        ]

    def __str__(self) -> str:
        return self.word
