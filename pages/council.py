"""Kreistag: the released briefings – quarters and Stichtag briefings – exactly as released; the
lead releases the next quarter or a briefing for a committee date. Everything shown to the
council comes from stored releases (db.figures.releases, db.figures.briefings). The newest
release and its PDF come first: on a phone the download is on the first screen."""

import streamlit as st

from db.clock import LOCAL_TZ
from db.clock import today as db_today
from db.figures import charts
from db.figures.alternatives import council_text
from db.figures.charts import hidden_instead
from db.errors import DomainError
from db.figures.briefings import FIELD as BRIEFING_DAY_FIELD
from db.figures.briefings import (
    DayBriefing,
    DayRelease,
    calendar_note,
    every_release,
    prepare_day,
    release_day,
)
from db.figures.council import TERMS_EXPLAINED, Briefing, shows_a_mark
from db.figures.briefings import PUBLISHED_ONLY as DAY_PUBLISHED_ONLY
from db.figures.disclosure import MARKS, MARKS_EXPLAINED
from db.figures.export import PUBLISHED_ONLY, briefing_charts
from db.figures.releases import (
    RELEASE_ROLES,
    Release,
    prepare,
    releasable,
    release,
    release_file,
    releases,
)
from db.vocabulary import Role
from pages import narrow
from pages.downloads import at_click
from pages.ui.charts import metric_tiles, show_chart
from pages.ui.context import current_actor, get_db
from pages.ui.feedback import show_flash, shown_errors
from pages.ui.fields import date_field
from pages.ui.formatting import fmt_date
from pages.ui.shown import Shown, md, plain

actor = current_actor()
db = get_db()

st.title("Kreistag – Lagebericht")
st.caption("Integrationsbegleitung im Jobcenter Spree-Neiße: nur Summen, keine Personendaten. "
           "Je Kalenderquartal eine vorläufige Freigabe, zu Sitzungen ein Lagebericht zum Stichtag; "
           "im Jahresbericht werden die Quartale einmal berichtigt und sind dann endgültig. "
           "Freigegebene Zahlen ändern sich nie, sie werden höchstens durch eine neue Fassung ersetzt.")
show_flash()

def downloads(stored: Release | DayRelease, stamp: str, key: str) -> None:
    """The release's files, the PDF first and primary."""
    for column, (name, text, mime, icon) in zip(st.columns(3), (
            ("pdf", "Lagebericht als PDF", "application/pdf", ":material/picture_as_pdf:"),
            ("xlsx", "Tabellen als Excel",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ":material/table:"),
            ("csv", "Tabellen als CSV", "text/csv", ":material/csv:"))):
        # Made at the moment of the click (deferred data): the role is checked and the
        # download audited then, and the bytes are those stored with the release.
        column.download_button(text, data=at_click(db, lambda now, n=name: release_file(db, now, stored.id, n)),
                               file_name=f"lagebericht-{stamp}.{name}", mime=mime, icon=icon,
                               on_click="ignore", key=f"{key}_{name}",
                               type="primary" if name == "pdf" else "secondary")


def show_briefing(briefing: Briefing, stored: Release | None, key: str) -> None:
    """Tiles, summary, tables and charts of a briefing – printed cells only; with the files of a
    stored release for download."""
    period = briefing.period
    if briefing.final:
        st.success(plain(briefing.status_text), icon=":material/verified:")
    else:
        st.info(plain(briefing.status_text), icon=":material/pending:")
    st.subheader(f"Bestände am {period.end:%d.%m.%Y}")
    metric_tiles(briefing.stock_tiles)
    st.subheader(f"{period.label} ({plain(period.span)})")
    metric_tiles(briefing.period_tiles)
    if shows_a_mark(briefing):  # explained where a mark first appears, not screens below
        st.caption(MARKS_EXPLAINED)
    st.info(plain(briefing.summary))
    st.caption(TERMS_EXPLAINED)
    figures = {f.slug: f for f in briefing_charts(briefing)}
    for table in briefing.tables:
        st.subheader(plain(table.title))
        st.caption(plain(table.explanation))
        # An HTML table: on a phone the numbers wrap below the names instead of scrolling away.
        narrow.table(table.table.shown().rename_axis(table.row_title).reset_index(), f"{key}_{table.slug}")
        for note in table.withheld_text():  # why a cell the replaced version printed is hidden now
            st.caption(plain(note))
        if table.table.hidden:  # what the marks mean, under every table that has one
            st.caption(MARKS_EXPLAINED)
        if not table.chart:
            continue
        if figure := figures.get(table.slug):
            show_chart(council_text, charts.council_chart, figure.title, table.table, figure.unit,
                       text_args=(figure.title, table.table), key=f"{key}_chart_{figure.slug}")
            if stored is not None:
                st.download_button(
                    f"Grafik „{plain(figure.title)}“ als PNG", key=f"{key}_png_{figure.slug}", icon=":material/image:",
                    data=at_click(db, lambda now, slug=figure.slug: release_file(db, now, stored.id, f"png:{slug}")),
                    file_name=f"{figure.slug}-{period.key}-freigabe-{stored.id}.png", mime="image/png",
                    on_click="ignore")
        else:
            st.caption(plain(hidden_instead(table.table)))
    st.caption(PUBLISHED_ONLY)


def show_day_briefing(briefing: DayBriefing, key: str) -> None:
    """A Stichtag briefing: its stocks, the team and office hours of that day, its tables."""
    st.subheader(f"Bestände am {briefing.day:%d.%m.%Y}")
    metric_tiles(briefing.stock_tiles)
    if any(t.value in MARKS for t in briefing.stock_tiles):
        st.caption(MARKS_EXPLAINED)
    st.info(plain(briefing.summary))
    st.caption(TERMS_EXPLAINED)
    for table in briefing.tables:
        st.subheader(plain(table.title))
        st.caption(plain(table.explanation))
        narrow.table(table.table.shown().rename_axis(table.row_title).reset_index(), f"{key}_{table.slug}")
        if table.table.hidden:
            st.caption(MARKS_EXPLAINED)
    st.subheader(f"Sprechstunden am {briefing.day:%d.%m.%Y}")
    for place, when in briefing.office_hours:
        st.markdown(md("- **{place}**: {when}", place=place, when=when))
    st.caption(plain(DAY_PUBLISHED_ONLY))


def release_status(item: Release | DayRelease, stored: list[Release | DayRelease]) -> Shown:
    text = md("Freigabe Nr. {id} vom {when} durch {by}", id=item.id, by=item.released_by,
              when=fmt_date(item.released_at.astimezone(LOCAL_TZ).date()))
    text = md("{text}, {status}", text=text, status=item.briefing.status)
    if item.corrects_id:
        text = md("{text}; ersetzt Freigabe Nr. {id}", text=text, id=item.corrects_id)
    if item.corrected_by:
        later = next(r for r in stored if r.id == item.corrected_by)
        text = md("{text}. **Ersetzt** durch Freigabe Nr. {id} vom {when} ({status})", text=text, id=later.id,
                  when=fmt_date(later.released_at.astimezone(LOCAL_TZ).date()), status=later.briefing.status)
    return md("{text}. Prüfsumme {digest}", text=text, digest=item.content_hash[:16])


def day_release_section() -> None:
    """For the lead: a briefing for a committee date – the stocks of a chosen day, audited."""
    st.header("Lagebericht zu einem Stichtag freigeben")
    st.caption("Für eine Sitzung: Bestände (in Begleitung, Nachbetreuung, geplante Erstgespräche), "
               "Team und Sprechstunden an einem Tag bis heute. Geprüft gegen alle bisherigen Freigaben.")
    st.caption("Stichtage liegen mindestens 28 Tage auseinander und mindestens 28 Tage von jedem "
               "Quartalsende mit freigegebenen Beständen entfernt; ein freigegebener Lagebericht wird "
               "nicht berichtigt. So hängt nie von der Höhe einer Zahl ab, ob sie verdeckt wird.")
    day = date_field("Stichtag", value=db_today(), key="briefing_day", field=BRIEFING_DAY_FIELD)
    if day is None:
        st.info("Bitte einen Stichtag eingeben.")
        return
    try:
        with st.spinner("Zahlen werden gegen alle bisherigen Freigaben geprüft …"):
            candidate = prepare_day(db, actor, day)
    except DomainError as exc:
        # A day in the future, before the programme, or too close to another release's stocks:
        # said right under the date field (with the nearest day allowed), the page goes on.
        with st.container(key="briefing_day_refused"):
            st.error(plain(exc.message), icon=":material/event_busy:")
        return
    label = candidate.briefing.label
    if candidate.unchanged:
        st.success(md("Der Lagebericht zum {label} ist mit genau diesen Zahlen freigegeben (Nr. {id}).",
                      label=label, id=candidate.current.id))
        return
    st.write(f"{candidate.hidden:d} Werte geheim gehalten"
             + (f", davon {candidate.widened:d} wegen der Prüfung gegen frühere Freigaben." if candidate.widened else "."))
    with st.expander(f"Vorschau: Lagebericht zum {label}, wie der Kreistag ihn sehen wird"):
        show_day_briefing(candidate.briefing, key="day_preview")
    confirmed = st.checkbox(f"Ich habe die Vorschau geprüft. Der Lagebericht zum {label} wird so für den "
                            "Kreistag freigegeben und lässt sich danach weder ändern noch berichtigen.",
                            key=f"day_confirm_{day.isoformat()}")
    if st.button(f"Lagebericht zum {label} freigeben", type="primary", key="day_release_button",
                 icon=":material/publish:", disabled=not confirmed):
        with shown_errors(), st.spinner("Freigabe wird gespeichert, Dateien werden erstellt …"):
            stored = release_day(db, actor, day, candidate.content_hash)
        st.session_state["flash"] = f"Der {stored.title} ist freigegeben (Nr. {stored.id})."
        st.rerun()


def release_section() -> None:
    """For the lead: the next quarter to release (or correct), or a year's annual release,
    audited, with a preview."""
    st.header("Quartal freigeben")
    periods = releasable(db, actor)
    if not periods:
        st.info("Noch ist kein Quartal abgeschlossen. Ein Quartal kann freigegeben werden, sobald die "
                "28 Tage nach seinem Ende vorbei sind, in denen die Ergebnisse der Abgänge eintreffen.")
        return
    period = st.selectbox("Quartal oder Jahresbericht", periods, key="release_period",
                          format_func=lambda p: f"Jahresbericht {p.start.year:d} (endgültig)" if p.is_year
                          else f"{p.label} (vorläufig)")
    with shown_errors(), st.spinner("Zahlen werden gegen alle bisherigen Freigaben geprüft …"):
        candidate = prepare(db, actor, period.key)
    if candidate.unchanged:
        st.success(md("{quarter} ist mit genau diesen Zahlen freigegeben (Freigabe Nr. {id}). Es gibt "
                      "nichts zu berichtigen.", quarter=period.label, id=candidate.current.id))
        return
    earlier = len(releases(db, actor))
    parts = [*candidate.parts, candidate]
    st.write(f"Geprüft gegen {earlier:d} bisherige Freigabe{'n' if earlier != 1 else ''}: kein verdeckter "
             f"Wert lässt sich aus allen veröffentlichten Zahlen zusammen berechnen. "
             f"{sum(c.hidden for c in parts):d} Werte geheim gehalten"
             + (f", davon {candidate.widened:d} zusätzlich wegen dieser Prüfung." if candidate.widened else "."))
    if candidate.withheld:
        st.write(f"{candidate.withheld:d} früher gedruckte Werte bleiben verdeckt, weil die Prüfung "
                 "zeigt, dass sie gedruckt etwas verraten würden; der Grund steht jeweils unter der Tabelle.")
    if period.is_year:
        st.info(md("Der **Jahresbericht {year}** enthält die Summen des Jahres und die {n} Quartale "
                   "in endgültiger Fassung. Danach ändern sich diese Zahlen nicht mehr.",
                   year=period.start.year, n=len(candidate.parts)))
    elif candidate.current is not None:
        st.warning(md("{quarter} ist schon freigegeben (Nr. {id}), die Zahlen haben sich seitdem "
                      "geändert. Eine Freigabe jetzt erscheint als **Berichtigung** (weiter vorläufig); "
                      "die frühere bleibt sichtbar und wird als ersetzt gekennzeichnet.", quarter=period.label,
                      id=candidate.current.id))
    for part in parts:
        with st.expander(f"Vorschau: {part.period.label}, wie der Kreistag es sehen wird"):
            show_briefing(part.briefing, None, key=f"preview_{part.period.key}")
    what = f"Jahresbericht {period.start.year:d}" if period.is_year else period.label
    label = f"{'Berichtigung für ' if candidate.current else ''}{what} freigeben"
    # Released figures never change: one deliberate step before the button does anything.
    confirmed = st.checkbox(f"Ich habe die Vorschau geprüft. {what} wird so für den Kreistag "
                            "freigegeben und lässt sich danach nicht mehr ändern"
                            + ("." if period.is_year else ", nur bis zum Jahresbericht berichtigen."),
                            key=f"release_confirm_{period.key}")
    if st.button(label, type="primary", key="release_button", icon=":material/publish:",
                 disabled=not confirmed):
        with shown_errors(), st.spinner("Freigabe wird gespeichert, Dateien werden erstellt …"):
            stored = release(db, actor, period.key, candidate.content_hash)
        st.session_state["flash"] = (f"{stored.period.label} ist freigegeben (Nr. {stored.id}, "
                                     f"{stored.briefing.status}"
                                     + (f", mit {len(candidate.parts)} Quartalen endgültig)." if candidate.parts else ")."))
        st.rerun()


def published() -> None:
    """The released briefings, newest first: choice, status and files on the first screen."""
    with shown_errors():
        stored = every_release(db, actor)
        note = calendar_note(db, actor)
    if not stored:
        st.info("Es ist noch kein Lagebericht freigegeben. "
                + ("Die Teamleitung gibt jedes Quartal frei, sobald seine Zahlen endgültig sind."
                   if actor.role is Role.COUNCIL else "Unten lässt sich ein Quartal oder ein Stichtag freigeben."))
        st.caption(plain(note))
        return
    chosen = st.selectbox("Lagebericht", stored, key="council_release",
                          format_func=lambda r: f"{r.title} – Nr. {r.id}"
                          + (" (ersetzt, siehe neuere Freigabe)" if r.corrected_by else ""))
    if isinstance(chosen, DayRelease):
        downloads(chosen, f"{chosen.day:%Y-%m-%d}-freigabe-{chosen.id}", key=f"release_{chosen.id}")
    else:
        downloads(chosen, f"{chosen.period.key}-freigabe-{chosen.id}", key=f"release_{chosen.id}")
    status = release_status(chosen, stored)
    (st.warning if chosen.corrected_by else st.caption)(status)
    st.caption(plain(note))
    if isinstance(chosen, DayRelease):
        show_day_briefing(chosen.briefing, key=f"release_{chosen.id}")
    else:
        show_briefing(chosen.briefing, chosen, key=f"release_{chosen.id}")


# The council reads first; the lead's release steps follow what is already published.
st.header("Veröffentlichte Lageberichte")
published()
if actor.role in RELEASE_ROLES:
    day_release_section()
    release_section()
