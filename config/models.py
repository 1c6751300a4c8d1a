"""The tenant file as typed, frozen models (CONTRACT.md section 1).

Load files with :func:`config.load_tenants` / :func:`config.load_tenant_file`; building these
models by hand is for tests. Secrets are :class:`pydantic.SecretStr`: they print as ``**********``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from config.conditions import Condition

ActivityType = Literal[
    "page_view", "form_submission", "email_open", "email_click", "email_reply", "meeting", "call",
    "webinar_registered", "webinar_attended", "event_attended", "content_download", "campaign_response",
]

ACTIVITY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "page_view": ("url", "title"),
    "form_submission": ("form",),
    "email_open": ("campaign",),
    "email_click": ("campaign", "url"),
    "email_reply": ("subject",),
    "meeting": ("title", "outcome"),
    "call": ("direction", "outcome"),
    "webinar_registered": ("name",),
    "webinar_attended": ("name",),
    "event_attended": ("name",),
    "content_download": ("asset",),
    "campaign_response": ("campaign", "campaign_type", "status", "name"),
}

STANDARD_PERSON_FIELDS: tuple[str, ...] = (
    "email", "first_name", "last_name", "title", "company", "industry", "employees", "annual_revenue",
    "country", "lead_source", "lifecycle_stage", "lead_status", "owner_id",
)

WRITE_BACK_OUTPUTS = ("fit", "engagement", "score", "grade", "status", "mql_reason", "mql_at")

STATUSES = ("disqualified", "lead", "engaged", "mql")
GRADE_LETTERS = ("A", "B", "C", "D")

TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def parse_duration(value: Any) -> timedelta:
    """``30s``, ``15m``, ``2h``, ``1d`` or combinations such as ``1h30m``."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("a duration is text like 30s, 15m, 2h or 1d")
    match = _DURATION.fullmatch(value.strip())
    if not value.strip() or match is None:
        raise ValueError(f"invalid duration {value!r}; use a number with s, m, h or d, e.g. 30s, 15m, 2h, 1d")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise ValueError("plain http is allowed only for 127.0.0.1 or localhost (the sandbox); use https")
    if parts.query or parts.fragment:
        raise ValueError("a base URL has no query string or fragment")
    return value.rstrip("/")


# --------------------------------------------------------------------------- crm
class HubSpotRateLimit(Strict):
    per_10s: int = Field(100, ge=1, le=10_000)
    search_per_s: int = Field(4, ge=1, le=100)


class HubSpotEvents(Strict):
    """Optional page views with URLs from the events API (``/events/v3/events``)."""

    enabled: bool = False
    page_view_event_types: tuple[str, ...] = ("e_visited_page",)


class HubSpotCRM(Strict):
    kind: Literal["hubspot"]
    base_url: str = "https://api.hubapi.com"
    access_token: SecretStr | None = None
    access_token_file: str | None = None
    rate_limit: HubSpotRateLimit = HubSpotRateLimit()
    events: HubSpotEvents = HubSpotEvents()

    _base = field_validator("base_url")(check_base_url)

    @model_validator(mode="after")
    def _one_token(self) -> HubSpotCRM:
        # *_file keys are read by the loader into access_token; both present means both were given.
        if self.access_token is None:
            raise ValueError("missing credentials: give access_token (as ${VAR}) or access_token_file")
        return self


class CampaignActivity(Strict):
    """One row of the Salesforce campaign-member table: campaign type + member status -> activity."""

    campaign_type: str
    status: str | None = None          # None: any member status
    activity: ActivityType


DEFAULT_CAMPAIGN_ACTIVITIES: tuple[CampaignActivity, ...] = (
    CampaignActivity(campaign_type="Webinar", status="Attended", activity="webinar_attended"),
    CampaignActivity(campaign_type="Webinar", status="Registered", activity="webinar_registered"),
    CampaignActivity(campaign_type="Trade Show", status="Attended", activity="event_attended"),
)


class SalesforceCRM(Strict):
    kind: Literal["salesforce"]
    login_url: str = "https://login.salesforce.com"
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    client_secret_file: str | None = None
    instance_url: str | None = None
    access_token: SecretStr | None = None
    access_token_file: str | None = None
    username: str | None = None
    private_key: SecretStr | None = None
    private_key_file: str | None = None
    jwt_audience: str | None = None
    api_version: str = "59.0"
    people: tuple[Literal["Lead", "Contact"], ...] = ("Lead", "Contact")
    daily_api_share: float = Field(0.2, gt=0, le=1)
    bulk_threshold: int = Field(2000, ge=200)
    campaign_activities: tuple[CampaignActivity, ...] = DEFAULT_CAMPAIGN_ACTIVITIES

    _login = field_validator("login_url")(check_base_url)

    @field_validator("instance_url")
    @classmethod
    def _instance(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"\d{2}\.0", value):
            raise ValueError(f"api_version must look like \"59.0\", got {value!r}")
        return value

    @field_validator("people")
    @classmethod
    def _people(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one object to score: Lead, Contact")
        if len(set(value)) != len(value):
            raise ValueError("each object may be listed once")
        return value

    @property
    def auth_flow(self) -> Literal["client_credentials", "session", "jwt"]:
        if self.access_token is not None:
            return "session"
        if self.private_key is not None:
            return "jwt"
        return "client_credentials"

    @model_validator(mode="after")
    def _one_auth_shape(self) -> SalesforceCRM:
        session = self.access_token is not None or self.instance_url is not None
        jwt = self.username is not None or self.private_key is not None
        secret = self.client_secret is not None
        shapes = [name for name, present in (("client credentials (client_id + client_secret)", secret),
                                             ("a ready session (instance_url + access_token)", session),
                                             ("JWT bearer (client_id + username + private_key_file)", jwt))
                  if present]
        allowed = ("give exactly one of: client_id + client_secret; instance_url + access_token; "
                   "client_id + username + private_key_file")
        if not shapes:
            raise ValueError(f"missing credentials: {allowed}")
        if len(shapes) > 1:
            raise ValueError(f"more than one way to log in ({' and '.join(shapes)}): {allowed}")
        if session and (self.access_token is None or self.instance_url is None):
            raise ValueError("a ready session needs both instance_url and access_token (or access_token_file)")
        if jwt and (self.username is None or self.private_key is None or self.client_id is None):
            raise ValueError("JWT bearer needs client_id, username and private_key_file")
        if secret and self.client_id is None:
            raise ValueError("client credentials need client_id as well as client_secret")
        return self

    def campaign_activity(self, campaign_type: str | None, status: str | None) -> str:
        """The activity type of a responded campaign member (CONTRACT.md section 3)."""
        ctype = (campaign_type or "").strip().lower()
        cstatus = (status or "").strip().lower()
        for row in self.campaign_activities:
            if row.campaign_type.lower() == ctype and (row.status is None or row.status.lower() == cstatus):
                return row.activity
        return "campaign_response"


CRM = Annotated[HubSpotCRM | SalesforceCRM, Field(discriminator="kind")]


# --------------------------------------------------------------------------- schedule
class Schedule(Strict):
    every: timedelta = timedelta(minutes=15)
    jitter: timedelta = timedelta(seconds=30)

    @field_validator("every", "jitter", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @model_validator(mode="after")
    def _bounds(self) -> Schedule:
        if self.every < timedelta(seconds=10):
            raise ValueError("`every` must be at least 10s")
        if self.jitter >= self.every:
            raise ValueError("`jitter` must be shorter than `every`")
        return self


# --------------------------------------------------------------------------- scoring
class Decay(Strict):
    half_life_days: float | None = Field(None, gt=0)
    window_days: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _something(self) -> Decay:
        if self.half_life_days is None and self.window_days is None:
            raise ValueError("give half_life_days, window_days or both (leave `decay` out for no decay)")
        return self


class FitRule(Strict):
    label: str = Field(min_length=1, max_length=80)
    when: Condition | None = None
    points: float


class EngagementRule(Strict):
    label: str = Field(min_length=1, max_length=80)
    activity: ActivityType
    when: Condition | None = None
    points: float
    max_count: int | None = Field(None, ge=1)
    half_life_days: float | None = Field(None, gt=0)


class DisqualifyRule(Strict):
    label: str = Field(min_length=1, max_length=80)
    when: Condition


class FastTrackRule(Strict):
    label: str = Field(min_length=1, max_length=80)
    activity: ActivityType
    when: Condition | None = None
    within_days: int | None = Field(None, ge=0)


class Thresholds(Strict):
    fit_min: float | None = None
    engagement_min: float | None = None
    total_min: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Thresholds:
        if self.fit_min is None and self.engagement_min is None and self.total_min is None:
            raise ValueError("give at least one threshold: fit_min, engagement_min, total_min")
        return self


class Caps(Strict):
    fit: tuple[float, float] = (0, 100)
    engagement: tuple[float, float] = (0, 100)

    @field_validator("fit", "engagement")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"a cap is [low, high] with low <= high, got [{value[0]}, {value[1]}]")
        return value


class Scoring(Strict):
    decay: Decay | None = None
    fit: tuple[FitRule, ...] = ()
    engagement: tuple[EngagementRule, ...] = ()
    disqualify: tuple[DisqualifyRule, ...] = ()
    fast_track: tuple[FastTrackRule, ...] = ()
    mql: Thresholds | None = None
    engaged: Thresholds | None = None
    grades: dict[Literal["A", "B", "C", "D"], float] | None = None
    caps: Caps = Caps()

    @field_validator("grades")
    @classmethod
    def _grades(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("give at least one grade threshold, e.g. {A: 40, B: 25, C: 10}")
        letters = sorted(value)
        for higher, lower in itertools.pairwise(letters):
            if value[higher] <= value[lower]:
                raise ValueError(f"grade {higher} needs a higher threshold than {lower} "
                                 f"({value[higher]} <= {value[lower]})")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _rules(self) -> Scoring:
        if not (self.fit or self.engagement or self.fast_track):
            raise ValueError("no rules: give at least one fit, engagement or fast_track rule")
        if self.mql is None and not self.fast_track:
            raise ValueError("nothing can make a person MQL: add an `mql` block (fit_min, engagement_min, "
                             "total_min) or a `fast_track` rule")
        for kind in ("fit", "engagement", "disqualify", "fast_track"):
            labels = [rule.label for rule in getattr(self, kind)]
            dupes = sorted({label for label in labels if labels.count(label) > 1})
            if dupes:
                raise ValueError(f"two {kind} rules share the label {dupes[0]!r}; labels name rules in "
                                 "MQL reasons, so each must be unique")
        return self

    def fingerprint(self) -> str:
        """A short stable hash of the model: a new value means everyone must be rescored."""
        blob = json.dumps(_canonical(self), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _canonical(value: Any) -> Any:
    if isinstance(value, Condition):
        return value.to_data()
    if isinstance(value, BaseModel):
        return {name: _canonical(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --------------------------------------------------------------------------- write-back
HUBSPOT_WRITE_FIELDS: dict[str, str] = {
    "fit": "crmsync_fit_score",
    "engagement": "crmsync_engagement_score",
    "score": "crmsync_score",
    "grade": "crmsync_grade",
    "status": "crmsync_status",
    "mql_reason": "crmsync_mql_reason",
    "mql_at": "crmsync_mql_date",
}


class WriteFields(Strict):
    fit: str | None = None
    engagement: str | None = None
    score: str | None = None
    grade: str | None = None
    status: str | None = None
    mql_reason: str | None = None
    mql_at: str | None = None

    def mapping(self) -> dict[str, str]:
        """Our output name -> CRM field, for the outputs that are written."""
        return {name: getattr(self, name) for name in WRITE_BACK_OUTPUTS if getattr(self, name)}


class Lifecycle(Strict):
    field: str | dict[str, str | None]
    mql_value: str = Field(min_length=1)
    protected: tuple[str, ...] = ()

    def field_for(self, object_type: str | None = None) -> str | None:
        if isinstance(self.field, str):
            return self.field
        return self.field.get(object_type or "")


HUBSPOT_LIFECYCLE = Lifecycle(
    field="lifecyclestage",
    mql_value="marketingqualifiedlead",
    protected=("salesqualifiedlead", "opportunity", "customer", "evangelist", "other"),
)


class WriteBack(Strict):
    fields: WriteFields = WriteFields(**HUBSPOT_WRITE_FIELDS)
    lifecycle: Lifecycle | None = HUBSPOT_LIFECYCLE
    reason_max_length: int | None = Field(None, ge=20, le=65_536)
    dry_run: bool = False


# --------------------------------------------------------------------------- tenant
class Tenant(Strict):
    tenant: str
    crm: CRM
    schedule: Schedule = Schedule()
    fields: dict[str, str | dict[str, str | None]] = {}
    scoring: Scoring
    write_back: WriteBack = WriteBack()
    source: str | None = Field(None, exclude=True)   # the file it came from (set by the loader)

    @field_validator("tenant")
    @classmethod
    def _name(cls, value: str) -> str:
        if not TENANT_NAME.fullmatch(value):
            raise ValueError(f"invalid tenant name {value!r}: use lower-case letters, digits and '-', "
                             "starting with a letter or digit")
        return value

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name in STANDARD_PERSON_FIELDS:
                raise ValueError(f"`{name}` is a standard field, mapped already; add only new canonical names")
            if not FIELD_NAME.fullmatch(name):
                raise ValueError(f"invalid field name {name!r}: use lower_case_with_underscores")
        return value

    @property
    def reason_max_length(self) -> int:
        return self.write_back.reason_max_length or (1000 if self.crm.kind == "hubspot" else 255)

    def person_fields(self) -> tuple[str, ...]:
        return STANDARD_PERSON_FIELDS + tuple(self.fields)
