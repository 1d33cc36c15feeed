"""``python -m engine sevir``: list SEVIR VIL events of a root; write a SEVIR-LR copy."""
from __future__ import annotations

import argparse
import json
from datetime import date


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _cmd_events(args: argparse.Namespace) -> int:
    from ..data.sevir.events import event_table

    events = event_table(args.root, event_type=args.type, start=args.start, end=args.end)
    if args.json:
        records = [
            {
                "id": r.id,
                "event_type": r.event_type if isinstance(r.event_type, str) else None,
                "time_utc": r.time_utc.isoformat(),
                "corners": [r.llcrnrlat, r.llcrnrlon, r.urcrnrlat, r.urcrnrlon],
                "split": r.split,
                "file_name": r.file_name,
                "file_index": int(r.file_index),
            }
            for r in events.itertuples()
        ]
        print(json.dumps(records, indent=1))
        return 0
    print(f"{'id':<16} {'event type':<18} {'time (UTC)':<19}  {'corners (lat/lon ll -> ur)':<34} split file")
    for r in events.itertuples():
        etype = r.event_type if isinstance(r.event_type, str) else "-"
        corners = f"{r.llcrnrlat:.2f},{r.llcrnrlon:.2f} -> {r.urcrnrlat:.2f},{r.urcrnrlon:.2f}"
        print(f"{r.id:<16} {etype:<18} {r.time_utc:%Y-%m-%d %H:%M:%S}  {corners:<34} {r.split:<5} "
              f"{r.file_name}[{r.file_index}]")
    print(f"{len(events)} events")
    return 0


def _cmd_make_lr(args: argparse.Namespace) -> int:
    from ..data.sevir.lr import write_lr_copy

    result = write_lr_copy(args.root, args.out)
    for eid, message in result["skipped"]:
        print(f"skipped {eid}: {message}")
    print(f"wrote {result['events']} SEVIR-LR events to {result['root']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sevir = sub.add_parser("sevir", help="SEVIR storm data: list events, write a SEVIR-LR copy")
    actions = sevir.add_subparsers(dest="sevir_command", required=True, metavar="ACTION")

    events = actions.add_parser("events", help="list the usable VIL events of a SEVIR root")
    events.add_argument("--root", required=True, help="directory holding CATALOG.csv and data/")
    events.add_argument("--type", help="NWS event type, e.g. 'Hail' or 'Thunderstorm Wind'")
    events.add_argument("--start", type=_iso_date, help="first day (YYYY-MM-DD, inclusive)")
    events.add_argument("--end", type=_iso_date, help="last day (YYYY-MM-DD, inclusive)")
    events.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    events.set_defaults(func=_cmd_events)

    make_lr = actions.add_parser("make-lr", help="write a SEVIR-LR copy (every 2nd frame, 3x3 max pool)")
    make_lr.add_argument("--root", required=True, help="source SEVIR root")
    make_lr.add_argument("--out", required=True, help="destination root (created)")
    make_lr.set_defaults(func=_cmd_make_lr)
