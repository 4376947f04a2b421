"""Marketing truth planted into :func:`crmanalytics.datasets.simulate` (internal).

Three plantings, drawn from their own generator (``SeedSequence([seed, 15])``) so
the purchases, spend, NPS answers, complaints and every other stream of
:func:`~crmanalytics.datasets.simulate` stay exactly as they were:

1. **Acquisition channels with quality and cost.** Each customer's
   ``acquisition_channel`` is drawn with probabilities ``w_c * exp(beta_c * z)``,
   ``z`` the standardised log purchase rate: referral and e-mail bring frequent buyers,
   social the least frequent (:data:`CHANNEL_TILT`). Each channel costs a planted
   amount per acquired customer (:data:`CHANNEL_COST`). The truth records per channel
   the customers, the cost, and the expected share buying again within 90 days of
   the first purchase, ``mean(1 - exp(-90 lambda))`` over the channel's customers
   (under the BG/NBD nobody drops out before a first repeat purchase, and every
   customer is observed for more than 90 days).
2. **Campaign control groups with a planted uplift.** For every campaign a share
   ``control_share`` of the customers it was sent to is held out: their
   ``campaign_sent`` and ``campaign_response`` rows are removed. The hold-out is
   drawn given whether the customer bought in the 30 days after the send (``Y``):
   with ``q`` the share who did, ``p0 = q - (1 - s) delta`` and ``p1 = q + s delta``,
   ``P(control | Y=1) = s p0 / q`` and ``P(control | Y=0) = s (1 - p0) / (1 - q)``.
   The joint law of (group, conversion) is then exactly that of a randomised test
   in which the campaign raises the 30-day conversion rate from ``p0`` (control) to
   ``p1`` (reached), by ``delta``, while the purchases themselves stay untouched
   (so the BG/NBD truth holds). Revenue per customer rises by ``delta * m``, ``m``
   the mean 30-day revenue of the converters. The first campaign has
   ``delta = 0`` (a campaign without effect); ``delta`` is capped at
   ``0.75 q / (1 - s)`` so that ``p0`` stays positive.
3. **Cart events.** Each page view is followed by a ``cart`` interaction with
   probability :data:`CART_RATE`, uniformly within 30 minutes; each purchase is
   preceded by a ``cart`` uniformly within the 60 minutes before it (not before the
   start of the simulation). Carts after the end of observation are not recorded.

Examples
--------
>>> from crmanalytics.datasets import simulate
>>> truth = simulate(2000, seed=1).truth
>>> truth.acquisition["acquisition_channel"].tolist()
['direct', 'email', 'referral', 'search', 'social']
>>> truth.cart_rate
0.25
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "CART_RATE",
    "CHANNEL_COST",
    "CHANNEL_TILT",
    "CONTROL_SHARE",
    "UPLIFT",
    "UPLIFT_WINDOW_DAYS",
    "PlantedMarketing",
    "plant_marketing",
]

_CHANNELS = ("search", "social", "email", "referral", "direct")
_WEIGHTS = np.array([0.3, 0.2, 0.15, 0.15, 0.2])
#: Tilt of each acquisition channel towards frequent buyers (log-odds per sd of log rate).
CHANNEL_TILT = {"search": 0.0, "social": -0.6, "email": 0.4, "referral": 0.8, "direct": 0.2}
#: Planted acquisition cost per customer and channel.
CHANNEL_COST = {"search": 12.0, "social": 8.0, "email": 3.0, "referral": 20.0, "direct": 2.0}
#: Share of each campaign's audience held out as a control group.
CONTROL_SHARE = 0.2
#: Planted uplift in 30-day conversion for every campaign but the first (which has none).
UPLIFT = 0.05
#: Conversion window of the planted uplift, in days.
UPLIFT_WINDOW_DAYS = 30
#: Probability that a page view is followed by a cart event.
CART_RATE = 0.25
_CART_AFTER_VIEW = pd.Timedelta(minutes=30)
_CART_BEFORE_PURCHASE = pd.Timedelta(minutes=60)
_STREAM = 15  # issue 15


@dataclass(frozen=True)
class PlantedMarketing:
    """What :func:`plant_marketing` changed and planted.

    Examples
    --------
    >>> from crmanalytics.datasets._plant_marketing import PlantedMarketing
    >>> PlantedMarketing.__dataclass_fields__["cart_rate"].type
    'float'
    """

    customers: pd.DataFrame
    interactions: pd.DataFrame
    acquisition: pd.DataFrame
    campaign_controls: pd.DataFrame
    campaign_uplift: pd.DataFrame
    cart_rate: float

    def truth(self) -> dict[str, Any]:
        """The new :class:`~crmanalytics.datasets.SimulationTruth` fields.

        Examples
        --------
        >>> from crmanalytics.datasets import simulate
        >>> sorted(simulate(50, seed=0).truth.__dataclass_fields__)[:3]
        ['acquisition', 'bgnbd', 'campaign_controls']
        """
        return {
            "acquisition": self.acquisition,
            "campaign_controls": self.campaign_controls,
            "campaign_uplift": self.campaign_uplift,
            "cart_rate": self.cart_rate,
        }


def plant_marketing(
    seed: int,
    *,
    customers: pd.DataFrame,
    transactions: pd.DataFrame,
    interactions: pd.DataFrame,
    lam: npt.NDArray[np.float64],
    origin: pd.Timestamp,
    observation_end: pd.Timestamp,
) -> PlantedMarketing:
    """Plant acquisition quality and costs, campaign hold-outs with uplift, and carts.

    ``customers`` rows are in the order of ``lam``. The input frames are not changed.

    Examples
    --------
    >>> from crmanalytics.datasets import simulate
    >>> sim = simulate(300, seed=2)
    >>> "cart" in set(sim.interactions["kind"])
    True
    """
    acquisition_rng, control_rng, cart_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, _STREAM]).spawn(3)
    )
    customers = customers.copy()
    channel, acquisition = _acquisition(acquisition_rng, lam)
    string_dtype: Any = customers["acquisition_channel"].dtype
    customers["acquisition_channel"] = pd.array(channel, dtype=string_dtype)
    kept, controls, uplift = _holdouts(control_rng, interactions, transactions)
    carts = _carts(cart_rng, interactions, transactions, origin, observation_end)
    combined = pd.concat([kept, carts], ignore_index=True)
    combined = combined.sort_values("timestamp", kind="stable", ignore_index=True)
    return PlantedMarketing(customers, combined, acquisition, controls, uplift, CART_RATE)


def _acquisition(
    rng: np.random.Generator, lam: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[Any], pd.DataFrame]:
    log_rate = np.log(np.maximum(lam, 1e-300))
    spread = log_rate.std()
    z = (log_rate - log_rate.mean()) / spread if spread > 0 else np.zeros_like(log_rate)
    tilt = np.array([CHANNEL_TILT[c] for c in _CHANNELS])
    weights = _WEIGHTS[None, :] * np.exp(z[:, None] * tilt[None, :])
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    code = (rng.uniform(size=lam.size)[:, None] > cumulative[:, :-1]).sum(axis=1)
    channel = np.array(_CHANNELS)[code]
    repeat = 1.0 - np.exp(-90.0 * lam)
    rows = []
    for name in sorted(_CHANNELS):
        mine = channel == name
        count = int(mine.sum())
        rows.append(
            {
                "acquisition_channel": name,
                "customers": count,
                "cost_per_customer": CHANNEL_COST[name],
                "cost": CHANNEL_COST[name] * count,
                "repeat_90d": float(repeat[mine].mean()) if count else np.nan,
            }
        )
    return channel, pd.DataFrame(rows)


def _holdouts(
    rng: np.random.Generator, interactions: pd.DataFrame, transactions: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hold out a share of each campaign's audience so that a planted uplift shows."""
    sent = interactions[interactions["kind"] == "campaign_sent"]
    window = pd.Timedelta(days=UPLIFT_WINDOW_DAYS)
    bought = transactions[transactions["amount"] > 0]
    drop = np.zeros(len(interactions), dtype=bool)
    controls: list[pd.DataFrame] = []
    rows = []
    campaigns = sorted(sent["campaign_id"].dropna().unique().tolist())
    for k, campaign in enumerate(campaigns):
        audience = sent[sent["campaign_id"] == campaign]
        send = audience["timestamp"].min()
        who = audience["customer_id"].drop_duplicates().to_numpy()
        inside = bought[(bought["timestamp"] > send) & (bought["timestamp"] <= send + window)]
        revenue = inside.groupby("customer_id")["amount"].sum()
        converted = np.isin(who, revenue.index.to_numpy())
        q = float(converted.mean()) if who.size else 0.0
        share = CONTROL_SHARE
        delta = 0.0 if k == 0 else UPLIFT
        if 0.0 < q < 1.0:
            delta = min(delta, 0.75 * q / (1.0 - share))
            p0 = q - (1.0 - share) * delta
            chance = np.where(converted, share * p0 / q, share * (1.0 - p0) / (1.0 - q))
        else:
            delta, p0 = 0.0, q
            chance = np.full(who.size, share)
        held = who[rng.uniform(size=who.size) < chance]
        drop |= (interactions["campaign_id"] == campaign).fillna(False).to_numpy(
            dtype=bool
        ) & interactions["customer_id"].isin(held).to_numpy()
        controls.append(pd.DataFrame({"campaign_id": campaign, "customer_id": held}))
        mean_revenue = float(revenue.mean()) if len(revenue) else 0.0
        rows.append(
            {
                "campaign_id": campaign,
                "first_send": send,
                "window_days": UPLIFT_WINDOW_DAYS,
                "control_share": share,
                "conversion_rate_control": p0,
                "conversion_rate_reached": p0 + delta,
                "conversion_uplift": delta,
                "revenue_uplift": delta * mean_revenue,
            }
        )
    control_frame = (
        pd.concat(controls, ignore_index=True)
        if controls
        else pd.DataFrame({"campaign_id": [], "customer_id": np.array([], dtype=np.int64)})
    )
    columns = [
        "campaign_id",
        "first_send",
        "window_days",
        "control_share",
        "conversion_rate_control",
        "conversion_rate_reached",
        "conversion_uplift",
        "revenue_uplift",
    ]
    return interactions[~drop], control_frame, pd.DataFrame(rows, columns=columns)


def _carts(
    rng: np.random.Generator,
    interactions: pd.DataFrame,
    transactions: pd.DataFrame,
    origin: pd.Timestamp,
    observation_end: pd.Timestamp,
) -> pd.DataFrame:
    """Cart events after some page views and before every purchase."""
    views = interactions[interactions["kind"] == "page_view"]
    follows = rng.uniform(size=len(views)) < CART_RATE
    after = views["timestamp"].to_numpy()[follows] + _delays(
        rng, int(follows.sum()), _CART_AFTER_VIEW
    )
    view_channel = views["channel"].to_numpy()[follows]
    before = transactions["timestamp"].to_numpy() - _delays(
        rng, len(transactions), _CART_BEFORE_PURCHASE
    )
    before = np.maximum(before, origin.to_datetime64())
    purchase_channel = np.where(transactions["channel"].to_numpy() == "app", "app", "web")
    stamp = np.concatenate([after, before]).astype("datetime64[us]")
    keep = stamp < observation_end.to_datetime64()
    owner = np.concatenate(
        [views["customer_id"].to_numpy()[follows], transactions["customer_id"].to_numpy()]
    )
    channel = np.concatenate([view_channel.astype(object), purchase_channel.astype(object)])
    size = int(keep.sum())
    dtypes: dict[str, Any] = dict(interactions.dtypes)
    frame = pd.DataFrame(
        {
            "customer_id": owner[keep].astype(dtypes["customer_id"]),
            "timestamp": pd.DatetimeIndex(stamp[keep]),
            "kind": pd.array(["cart"] * size, dtype=dtypes["kind"]),
            "channel": pd.array(channel[keep].tolist(), dtype=dtypes["channel"]),
            "campaign_id": pd.array([None] * size, dtype=dtypes["campaign_id"]),
            "score": np.full(size, np.nan),
            "text": pd.array([None] * size, dtype=dtypes["text"]),
        }
    )
    return frame.sort_values("timestamp", kind="stable")


def _delays(rng: np.random.Generator, size: int, longest: pd.Timedelta) -> npt.NDArray[Any]:
    """Uniform delays in whole seconds within ``longest``."""
    seconds = np.floor(rng.uniform(size=size) * longest.total_seconds()).astype(np.int64)
    return seconds.astype("timedelta64[s]")
