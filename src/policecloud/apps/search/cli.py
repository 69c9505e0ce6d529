"""``policecloud index search`` (build or update the search index) and ``policecloud search`` (query it).

A search from the command line is a read of personal data like any other: it needs a purpose and is written to
the audit log, with the operator's login as the actor (``cli:<login>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from policecloud.platform.clikit import INDEX_HELP, command_group, console, fail, rich_table, settings_of


def register(app: typer.Typer) -> None:
    command_group(app, "index", INDEX_HELP).command("search")(index_search)
    app.command("search")(search_command)


def index_search(
    ctx: typer.Context,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Build a new version from scratch and switch to it.")
    ] = False,
    texts_only: Annotated[
        bool, typer.Option("--texts-only", help="Index only 110 calls and cases (no master data yet).")
    ] = False,
) -> None:
    """云搜索索引 / Build or update the search index from the master data and the warehouse texts.

    Without --rebuild only documents whose content changed are rewritten (entities re-resolved, texts of new
    batches). 不加 --rebuild 时仅更新内容有变化的文档；加 --rebuild 则重建新版本并原子切换。
    """
    from policecloud.apps.search.index import build_index, update_index
    from policecloud.data.resolve.master import MasterMissing, master_root

    settings = settings_of(ctx)
    master = None if texts_only else master_root(settings.data_dir)
    if master is not None and not (master / "current.json").exists():
        raise fail(str(MasterMissing(settings.data_dir)) + " (or use --texts-only)")
    if not settings.warehouse_dir.exists():
        raise fail(f"no warehouse at {settings.warehouse_dir}: run `policecloud ingest` first / 请先导入数据")
    root = settings.data_dir / "search"
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("indexing / 建立索引", total=None)

        def report(n: int) -> None:
            progress.update(task, description=f"indexing / 建立索引: {n:,} documents")

        build = build_index if rebuild else update_index
        result = build(master, settings.warehouse_dir, root, progress=report)
    console.print(
        f"search index / 搜索索引 {result.version} ({result.mode}): {result.added:,} written / 写入, "
        f"{result.deleted:,} deleted / 删除, {result.total:,} documents / 文档, {result.seconds:.1f} s, "
        f"{result.docs_per_second:,.0f} docs/s"
    )


def _styled(snippet: str, highlights: list[tuple[int, int]]) -> Text:
    text = Text(snippet)
    for start, end in highlights:
        text.stylize("bold yellow", start, end)
    return text


def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="ID number, plate, phone, USCC, VIN, a name or any text.")],
    purpose: Annotated[
        str, typer.Option("--purpose", "-p", help="Why: 'case:<no>', 'incident:<no>' or a justification.")
    ],
    mode: Annotated[str | None, typer.Option(help="Force a mode: identifier, name or text.")] = None,
    doc_type: Annotated[list[str] | None, typer.Option("--type", "-t", help="Only this type (repeatable).")] = None,
    jurisdiction: Annotated[
        list[str] | None, typer.Option("--jurisdiction", "-j", help="Only within these division codes.")
    ] = None,
    time_from: Annotated[datetime | None, typer.Option("--from", help="Seen on or after (ISO date/time).")] = None,
    time_to: Annotated[datetime | None, typer.Option("--to", help="Seen on or before (ISO date/time).")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """云搜索 / Search people, vehicles, organizations, phones, addresses, 110 calls and cases.

    身份证号、号牌、电话、统一社会信用代码、车架号按精确查询；2–4个汉字按姓名（容忍一个形近/音近字）；其余全文检索。
    """
    from policecloud.apps.search.index import IndexMissing, open_current
    from policecloud.apps.search.query import QueryError, search
    from policecloud.platform.access import audit
    from policecloud.platform.access import events as ev
    from policecloud.platform.access.context import RequestContext
    from policecloud.platform.access.errors import AccessError
    from policecloud.platform.access.jurisdiction import JurisdictionScope
    from policecloud.platform.access.purpose import parse_purpose
    from policecloud.platform.store import make_engine, make_sessionmaker, upgrade

    settings = settings_of(ctx)
    try:
        reason = parse_purpose(purpose)
        scope = JurisdictionScope.of(jurisdiction) if jurisdiction else None
        index = open_current(settings.data_dir / "search")
        tz = settings.timezone
        result = search(
            index,
            query,
            mode=mode,
            types=doc_type or (),
            county_prefixes=scope.index_terms() if scope else None,
            time_from=_aware(time_from, tz),
            time_to=_aware(time_to, tz),
            page=page,
            per_page=per_page,
        )
    except AccessError as exc:
        raise fail(str(exc)) from None
    except QueryError as exc:
        raise fail(f"{exc.zh} / {exc.en}") from None
    except IndexMissing as exc:
        raise fail(str(exc)) from None
    engine = make_engine(settings.operational_database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            ids = [h.id for h in result.hits]
            asked = {"q": query, "mode": result.mode, "types": doc_type or [], "jurisdiction": jurisdiction or []}
            context = RequestContext.console(reason, scope)
            event = context.stamp(ev.PersonalDataRead("search", asked, ids, "ok" if ids else "not_found"))
            audit.append(session, event, context.actor)
            session.commit()
    finally:
        engine.dispose()
    _print(result)


def _aware(value: datetime | None, tz: str) -> datetime | None:
    from zoneinfo import ZoneInfo

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(tz))


def _print(result) -> None:
    how = "forced" if result.forced else "recognised"
    extra = f" {result.identifier_types} → {result.normalized}" if result.normalized else ""
    console.print(f"mode / 方式: [bold]{result.mode}[/] ({how}){extra}; {result.total:,} results / 条结果")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note['zh']} / {note['en']}")
    table = rich_table(f"page {result.page}", ["id", "type", "caption", "county", "score", "matched", "snippet"])
    for h in result.hits:
        table.add_row(
            h.id, h.type, h.caption, h.county or "", f"{h.score:.2f}", h.matched, _styled(h.snippet, h.highlights)
        )
    console.print(table)
    for name, buckets in result.facets.items():
        shown = ", ".join(f"{b['key']}: {b['count']:,}" for b in buckets[:12])
        console.print(f"[dim]{name}:[/] {shown}")
