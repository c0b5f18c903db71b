"""Swimmer plot as CAR-T publications draw it: one lane per infused patient from infusion (day 0)
to death or last contact, coloured and hatched by best overall response (IMWG 2016, Kumar S et
al., Lancet Oncol 2016;17:e328-46), grouped by dose level, with markers for the first response,
MRD negativity, progression, a new anti-myeloma therapy and death, and an arrow for patients
still on study.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cartrial.data.dates import parse_dtc
from cartrial.errors import RecordError
from cartrial.report.figures import (
    RESPONSE_ORDER,
    RESPONSE_STYLE,
    _fig,
    _lay_out,
    _require,
    add_legend,
    dose_rules,
)

RESPONDER = ("sCR", "CR", "VGPR", "PR")
NEW_THERAPY = "SUBSEQUENT ANTI-MYELOMA THERAPY"  # CM CMCAT written by the example trial
# event -> (marker, face colour, label); black / white / one accent so greyscale keeps them apart
MARKERS = {
    "RESPONSE": ("^", "#ffffff", "First response (PR or better)"),
    "MRDNEG": ("*", "#F0E442", "MRD negativity (first)"),
    "PD": ("X", "#D55E00", "Progression"),
    "NEWTHER": ("s", "#ffffff", "New anti-myeloma therapy"),
    "DEATH": ("D", "#000000", "Death"),
}


def _day(dates: pd.Series, usub: pd.Series, infusion: pd.Series) -> pd.Series:
    return (pd.to_datetime(dates) - usub.map(infusion)).dt.days.astype(float)


def _new_therapy(cm: pd.DataFrame | None, infusion: pd.Series) -> tuple[pd.DataFrame, int]:
    """First new anti-myeloma therapy start after infusion (CM, CMCAT = NEW_THERAPY); starts
    known only to the month are counted, not drawn. Unreadable CMSTDTC raises."""
    if cm is None or not len(cm) or "CMCAT" not in cm:
        return pd.DataFrame(columns=["USUBJID", "DAY", "EVENT"]), 0
    c = cm[(cm["CMCAT"] == NEW_THERAPY) & cm["USUBJID"].isin(infusion.index)]
    d = parse_dtc(c["CMSTDTC"])
    bad = ~d["valid"].to_numpy(dtype=bool)
    if bad.any():
        r = c[bad].iloc[0]
        raise RecordError(domain="CM", usubjid=r["USUBJID"], seq=r.get("CMSEQ"),
                          variable="CMSTDTC", value=r["CMSTDTC"],
                          rule="start of a subsequent anti-myeloma therapy must be ISO 8601")
    full = d["dt"].notna().to_numpy()
    day = _day(d["dt"][full], c["USUBJID"][full], infusion)
    ev = pd.DataFrame({"USUBJID": c["USUBJID"][full], "DAY": day, "EVENT": "NEWTHER"})
    ev = ev.sort_values("DAY", kind="stable").drop_duplicates("USUBJID")
    return ev, int((~full).sum())


def swimmer_data(adsl: pd.DataFrame, adrs: pd.DataFrame | None, cm: pd.DataFrame | None = None,
                 limit: int = 100) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Lanes and events of the swimmer plot over the infused patients (ADSL SAFFL = "Y").

    Parameters
    ----------
    adsl : pandas.DataFrame
        ADSL (USUBJID, TRT01A, SAFFL, TRTSDT, DTHDT, LSTALVDT, EOSSTT, DTHFL).
    adrs : pandas.DataFrame or None
        ADRS (PARAMCD CBOR best response, COVR confirmed responses, MRD; AVALC, ADT).
    cm : pandas.DataFrame, optional
        SDTM CM: the first subsequent anti-myeloma therapy after infusion.
    limit : int
        At most this many lanes (the first infused).

    Returns
    -------
    tuple
        (lanes: USUBJID, GROUP, END (days from infusion, day 0 = infusion), BEST, ONGOING;
        events: USUBJID, DAY, EVENT (keys of :data:`MARKERS`); counts: ``infused``,
        ``new_therapy_month_only``).

    Raises
    ------
    RecordError
        A subsequent therapy start date that is not ISO 8601.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["A"], "TRT01A": ["DL1 0.1 x10^6/kg"], "SAFFL": ["Y"],
    ...     "TRTSDT": pd.to_datetime(["2024-01-01"]), "DTHDT": pd.to_datetime([None]),
    ...     "LSTALVDT": pd.to_datetime(["2024-03-01"]), "EOSSTT": ["ONGOING"], "DTHFL": [""]})
    >>> lanes, events, n = swimmer_data(adsl, None)
    >>> lanes[["END", "BEST", "ONGOING"]].values.tolist()
    [[60.0, 'NE', True]]
    """
    s = adsl[adsl["SAFFL"] == "Y"].sort_values(["TRTSDT", "USUBJID"], kind="stable")
    counts = {"infused": len(s)}
    s = s.head(limit)
    inf = s.set_index("USUBJID")["TRTSDT"]
    end = pd.to_datetime(s["DTHDT"]).fillna(pd.to_datetime(s["LSTALVDT"]))
    best = pd.Series("NE", index=s["USUBJID"].to_numpy())
    ev = [pd.DataFrame({"USUBJID": s["USUBJID"], "DAY": (end - s["TRTSDT"]).dt.days,
                        "EVENT": "DEATH"})[s["DTHDT"].notna().to_numpy()]]
    if adrs is not None and len(adrs):
        r = adrs[adrs["USUBJID"].isin(inf.index)].sort_values(["ADT", "ASEQ"] if "ASEQ" in adrs
                                                              else ["ADT"], kind="stable")
        cb = r[r["PARAMCD"] == "CBOR"].drop_duplicates("USUBJID").set_index("USUBJID")["AVALC"]
        best.update(cb[cb.isin(RESPONSE_ORDER)])
        firsts = {"RESPONSE": (r["PARAMCD"] == "COVR") & r["AVALC"].isin(RESPONDER),
                  "PD": (r["PARAMCD"] == "COVR") & (r["AVALC"] == "PD"),
                  "MRDNEG": (r["PARAMCD"] == "MRD") & (r["AVALC"] == "NEGATIVE")}
        for name, m in firsts.items():
            f = r[m].drop_duplicates("USUBJID")
            ev.append(pd.DataFrame({"USUBJID": f["USUBJID"], "EVENT": name,
                                    "DAY": _day(f["ADT"], f["USUBJID"], inf)}))
    nt, counts["new_therapy_month_only"] = _new_therapy(cm, inf)
    ev.append(nt)
    lanes = pd.DataFrame({
        "USUBJID": s["USUBJID"].to_numpy(),
        "GROUP": s["TRT01A"].fillna("").astype(str).str.split(" ").str[0].to_numpy(),
        "END": (end - s["TRTSDT"]).dt.days.to_numpy(dtype=float),
        "BEST": best.to_numpy(),
        "ONGOING": ((s["EOSSTT"] == "ONGOING") & (s["DTHFL"] != "Y")).to_numpy()})
    events = pd.concat(ev, ignore_index=True).astype({"DAY": float})
    return lanes, events, counts


def swimmer_figure(lanes: pd.DataFrame, events: pd.DataFrame, *,
                   xlabel: str = "Days since CAR-T infusion (day 0 = infusion)") -> Figure:
    """One horizontal bar per patient, grouped by dose level (longest follow-up first within a
    group), coloured and hatched by best response; event markers; an arrow for ongoing.

    Parameters
    ----------
    lanes : pandas.DataFrame
        USUBJID, GROUP, END (days from infusion), BEST (best response), ONGOING (bool).
    events : pandas.DataFrame
        USUBJID, DAY, EVENT (keys of :data:`MARKERS`).
    xlabel : str
        Time axis label (with unit).

    Returns
    -------
    matplotlib.figure.Figure
        One bar patch per lane (``ax.patches``, bottom to top), one line per event type
        labelled as in :data:`MARKERS`, one arrow annotation per ongoing patient.

    Raises
    ------
    InputError
        ``lanes`` or ``events`` lacks a column (named in the message).

    Examples
    --------
    >>> lanes = pd.DataFrame({"USUBJID": ["A"], "GROUP": ["DL1"], "END": [90.0],
    ...                       "BEST": ["VGPR"], "ONGOING": [True]})
    >>> ev = pd.DataFrame({"USUBJID": ["A"], "DAY": [28.0], "EVENT": ["RESPONSE"]})
    >>> len(swimmer_figure(lanes, ev).axes[0].patches)
    1
    """
    _require(lanes, ["USUBJID", "GROUP", "END", "BEST", "ONGOING"], "swimmer_figure")
    _require(events, ["USUBJID", "DAY", "EVENT"], "swimmer_figure")
    groups = list(dict.fromkeys(lanes["GROUP"]))
    ln = lanes.assign(_g=lanes["GROUP"].map({g: i for i, g in enumerate(groups)}))
    ln = ln.sort_values(["_g", "END", "USUBJID"], ascending=[True, False, True], kind="stable")
    n = len(ln)
    fig, ax = _fig(7.5, max(2.6, 0.2 * n + 1.4))
    y = np.arange(n)[::-1].astype(float)
    ypos = dict(zip(ln["USUBJID"], y, strict=True))
    hi = float(np.nanmax(ln["END"])) if n else 1.0
    for (_, r), yy in zip(ln.iterrows(), y, strict=True):
        col, hatch = RESPONSE_STYLE.get(r["BEST"], RESPONSE_STYLE["NE"])
        ax.barh(yy, r["END"], left=0.0, height=0.62, color=col, hatch=hatch, edgecolor="#444444",
                lw=0.5, label=f"_{r['USUBJID']}")
        if r["ONGOING"]:
            ax.annotate("", xy=(r["END"] + 0.06 * hi, yy), xytext=(r["END"], yy),
                        arrowprops={"arrowstyle": "-|>", "color": "#222222", "lw": 0.9})
    ev = events[events["USUBJID"].isin(ypos)]
    handles: list = [Patch(facecolor=RESPONSE_STYLE[b][0], hatch=RESPONSE_STYLE[b][1],
                           edgecolor="#444444", lw=0.5, label=b)
                     for b in RESPONSE_ORDER if b in set(ln["BEST"])]
    for name, (m, fc, lab) in MARKERS.items():
        e = ev[ev["EVENT"] == name]
        ax.plot(e["DAY"].to_numpy(dtype=float), e["USUBJID"].map(ypos).to_numpy(dtype=float), m,
                mfc=fc, mec="#000000", mew=0.7, ms=6 if m == "*" else 4.5, ls="none", label=lab)
        handles.append(Line2D([], [], marker=m, mfc=fc, mec="#000000", mew=0.7, ls="none",
                              ms=6 if m == "*" else 4.5, label=lab))
    handles.append(Line2D([], [], marker=r"$\rightarrow$", color="#222222", ls="none", ms=9,
                          label="Ongoing on study"))
    dose_rules(ax, ln["GROUP"].to_numpy(), y)
    ax.set_yticks(y, ln["USUBJID"].tolist() if n <= 80 else [""] * n, fontsize=6)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlim(0, hi * 1.28 + 1)  # room for the arrows and the dose labels
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Patient")
    add_legend(ax, handles, title="Best response (IMWG 2016)", title_fontsize=6.5)
    _lay_out(fig)
    return fig

