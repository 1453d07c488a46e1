"""Policy parameters: one frozen dataclass, checked on construction."""

from __future__ import annotations

from dataclasses import dataclass

from invdash.schema import ConfigError

__all__ = ["PolicyParams", "SERVICE_MEASURES", "UNMET_DEMAND"]

#: ``fill_rate``: the share of demand served from stock (beta service);
#: ``cycle``: the probability of no stockout in a replenishment cycle (alpha service).
SERVICE_MEASURES = ("fill_rate", "cycle")
#: What happens to demand that finds no stock: ``lost`` (the customer buys elsewhere, the usual
#: case online) or ``backorder`` (it is served from the next delivery).
UNMET_DEMAND = ("lost", "backorder")


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < float(value) < 1.0:
        raise ConfigError(f"{name} must be a fraction in (0, 1), e.g. 0.95, got {value!r}.")


@dataclass(frozen=True)
class PolicyParams:
    """Scalar inputs of the stock policy.

    Args:
        service_level: default target service level, a fraction in (0, 1) (0.95 = 95 %).
        review_period_days: review period R, in days (>= 1): orders are placed every R days, so one
            order must cover the lead time L plus R.
        service_measure: ``"fill_rate"`` (share of demand served from stock, the default) or
            ``"cycle"`` (probability of no stockout per cycle).
        abc_service_levels: optional service levels for ABC classes A, B, C (a 3-tuple of
            fractions); a per-SKU override still wins.
        excess_cover_days: stock beyond the order-up-to level plus this many days of mean
            demand counts as excess.
        n_samples: Monte Carlo sample paths per SKU for the lead-time demand.
        level_uncertainty_cv: coefficient of variation of a path-wide demand level factor
            (mean 1) that makes forecast errors of different days move together; 0 treats
            days as independent.
        lead_time_days: optional lead time L for every SKU, in days (overrides the products
            table, e.g. for a replay).
        lead_time_sd_days: optional lead-time standard deviation for every SKU, in days.
        max_days: cap on L + R simulated, in days (longer lead times are clipped).
        unmet_demand: ``"lost"`` (default) or ``"backorder"``: what the fill-rate equation
            assumes happens to demand that finds no stock (``policy.lost_sales``).

    Raises:
        ConfigError: a value outside its range, naming the parameter.
    """

    service_level: float = 0.95
    review_period_days: int = 7
    service_measure: str = "fill_rate"
    abc_service_levels: tuple[float, float, float] | None = None
    excess_cover_days: int = 60
    n_samples: int = 1000
    level_uncertainty_cv: float = 0.0
    lead_time_days: float | None = None
    lead_time_sd_days: float | None = None
    max_days: int = 400
    unmet_demand: str = "lost"

    def __post_init__(self) -> None:
        _check_fraction("service_level", self.service_level)
        if self.unmet_demand not in UNMET_DEMAND:
            raise ConfigError(
                f"unmet_demand must be one of {', '.join(UNMET_DEMAND)}, "
                f"got {self.unmet_demand!r}."
            )
        if self.service_measure not in SERVICE_MEASURES:
            raise ConfigError(
                f"service_measure must be one of {', '.join(SERVICE_MEASURES)}, "
                f"got {self.service_measure!r}."
            )
        if self.abc_service_levels is not None:
            if len(self.abc_service_levels) != 3:
                raise ConfigError(
                    "abc_service_levels must be three fractions (A, B, C), "
                    f"got {self.abc_service_levels!r}."
                )
            for level in self.abc_service_levels:
                _check_fraction("abc_service_levels", level)
        self._check_ints()
        if not self.level_uncertainty_cv >= 0:
            raise ConfigError(
                f"level_uncertainty_cv must be >= 0, got {self.level_uncertainty_cv!r}."
            )
        if self.lead_time_days is not None and not self.lead_time_days > 0:
            raise ConfigError(f"lead_time_days must be > 0, got {self.lead_time_days!r}.")
        if self.lead_time_sd_days is not None and not self.lead_time_sd_days >= 0:
            raise ConfigError(f"lead_time_sd_days must be >= 0, got {self.lead_time_sd_days!r}.")

    def _check_ints(self) -> None:
        checks = (
            ("review_period_days", self.review_period_days, 1),
            ("excess_cover_days", self.excess_cover_days, 0),
            ("n_samples", self.n_samples, 10),
            ("max_days", self.max_days, 1),
        )
        for name, value, minimum in checks:
            if isinstance(value, bool) or int(value) != value or value < minimum:
                raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}.")
