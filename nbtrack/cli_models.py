"""The ``nbtrack`` commands of the model registry and serving: register, promote, models,
serve, predict, monitor, monitor-rule."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .cli_common import open_for_reading as _open
from .errors import InvalidValueError
from .views.encode import to_json

__all__ = ["add_model_commands"]


def cmd_register(args: argparse.Namespace) -> int:
    """Register a run's model as the next version of a model (and optionally alias it)."""
    from .registry import register_model, set_alias

    store = _open(args)
    reference = None if args.reference is None else \
        _read_table(Path(args.reference), "reference file", " of the model's training inputs")
    version = register_model(store, args.run, args.name, args.artifact, onnx=args.onnx,
                             reference=reference)
    print(f"registered {version.address} from {version.run_id}")
    if args.alias:
        set_alias(store, version.name, args.alias, version.version)
        print(f"{version.name}@{args.alias} -> {version.version}")
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    """Point an alias at a version (compare-and-set with --expected)."""
    from .registry import set_alias

    old = set_alias(_open(args), args.name, args.alias, args.version, args.expected)
    was = "new" if old is None else f"was {old}"
    print(f"{args.name}@{args.alias} -> {args.version} ({was})")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """Registered models; the versions of one; or the history of one (``history NAME``)."""
    from dataclasses import asdict

    from .registry import history_frame, models_frame, versions_frame

    store = _open(args)
    words = list(args.words)
    if words[:1] == ["history"]:
        if len(words) > 2:
            raise InvalidValueError("use: nbtrack models history [NAME]")
        name = words[1] if len(words) == 2 else None
        if args.json:
            print(to_json([asdict(e) for e in store.backend.registry.events(name)], indent=2))
            return 0
        frame = history_frame(store, name)
    elif len(words) == 1:
        if args.json:
            print(to_json([asdict(v) for v in store.backend.registry.versions(words[0])],
                          indent=2))
            return 0
        frame = versions_frame(store, words[0])
    elif not words:
        frame = models_frame(store)
        if args.json:
            print(to_json(frame.astype({"created": str, "updated": str}).to_dict("records"),
                          indent=2))
            return 0
    else:
        raise InvalidValueError("use: nbtrack models [NAME] or nbtrack models history [NAME]")
    if frame.empty:
        print(f"no registered models yet (store: {store.uri})", file=sys.stderr)
        return 0
    print(frame.to_string(index=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve a registered model over HTTP in the foreground."""
    from .serving.app import ServingOptions
    from .serving.server import TOKEN_ENV, ModelServer

    server = ModelServer(_open(args), args.address, args.host, args.port,
                         options=ServingOptions(strict=args.strict,
                                                log_inputs=not args.no_log_inputs,
                                                onnx=args.onnx))
    version = server.served.current.version
    served = " as ONNX (onnxruntime)" if server.served.current.served_format == "onnx" \
        else ""
    print(f"serving {version.address} ({args.address}){served} on {server.url}")
    print(f"token: {'from ' + TOKEN_ENV if server.token_from_env else server.token}")
    print("call: curl -H 'Authorization: Bearer <token>' -H 'Content-Type: application/json' "
          f"-d '{{\"dataframe_split\": ...}}' {server.url}/invocations", flush=True)
    server.run()
    return 0


def _read_table(source: Path, what: str, of: str) -> Any:
    """A CSV or Parquet file as a DataFrame; a missing file is a one-line error."""
    import pandas as pd

    if not source.is_file():
        raise InvalidValueError(f"no {what} {source}; give a .csv or .parquet file{of}")
    return pd.read_parquet(source) if source.suffix == ".parquet" else pd.read_csv(source)


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict a CSV or Parquet file with a registered model, checked as the server checks."""
    import pandas as pd

    from .model_torch import as_predictor
    from .registry import load_model, resolve
    from .serving.inputs import BadInput, conform, model_signature

    store = _open(args)
    version = resolve(store, args.address)
    model = as_predictor(load_model(store, version.address), version.format)
    source = Path(args.input)
    frame = _read_table(source, "input file", "")
    try:
        features = conform(frame, version.signature or model_signature(model), args.strict)
    except BadInput as exc:
        raise InvalidValueError(f"{source}: {exc}") from None
    values = model.predict(features)
    # a model with several outputs a row (a PyTorch model's logits) gets a column each
    predicted = pd.DataFrame(values, columns=[f"prediction_{i}" for i in range(
        values.shape[1])]) if getattr(values, "ndim", 1) == 2 else \
        pd.DataFrame({"prediction": values})
    if args.output:
        predicted.to_csv(args.output, index=False)
        print(f"{len(predicted)} predictions of {version.address} written to {args.output}",
              file=sys.stderr)
    else:
        print(predicted.to_csv(index=False), end="")
    return 0


def _monitor_json(report: Any) -> dict[str, Any]:
    """What ``nbtrack monitor --json`` prints: the latest window on top, then each window."""
    windows = []
    for w in report.windows:
        h = w.health
        windows.append({"start": h.start, "end": h.end, "requests": h.requests,
                        "error_rate": h.error_rate, "latency": {"p50": h.p50, "p95": h.p95,
                                                                 "p99": h.p99},
                        "throughput": h.throughput,
                        "drift_detected": w.drift is not None and w.drift.drift_detected,
                        "drift_share": w.drift.share if w.drift is not None else None,
                        "max_psi": w.drift.max_psi if w.drift is not None else None,
                        "drifted": w.drift.drifted if w.drift is not None else []})
    latest = windows[-1]
    return {"model": report.address, "window": report.window, "run_id": report.run_id,
            "requests": latest["requests"], "error_rate": latest["error_rate"],
            "latency": latest["latency"], "drift_detected": latest["drift_detected"],
            "drifted": latest["drifted"], "windows": windows, "notes": report.notes}


def cmd_monitor(args: argparse.Namespace) -> int:
    """Health and input drift of a served version; exit 1 when the model's retrain rule
    fires (without a rule: when the latest window drifted), retraining with --retrain."""
    from .monitoring.monitor import monitor_served
    from .monitoring.triggers import parse_params, retrain
    from .registry import resolve
    from .tracking import Tracker

    params = parse_params(args.param)
    if params and not args.retrain:
        raise InvalidValueError("--param is for --retrain: give both, or neither")
    reference = None
    if args.reference:
        reference = _read_table(Path(args.reference), "reference file",
                                " of the training inputs")
    tracker = Tracker(_open(args))
    report = monitor_served(tracker, args.address, reference, args.last,
                            window=args.window, windows=args.windows)
    data = _monitor_json(report)
    if args.retrain and report.fired:
        outcome = retrain(tracker, resolve(tracker.store, report.address), params,
                          report.rule.rule if report.rule else None,
                          cooldown=args.cooldown * 3600, progress=not args.json)
        data["retrain"] = {"started": outcome.started, "message": outcome.message,
                           "run_id": outcome.run_id, "child_run_id": outcome.child_run_id,
                           "version": outcome.version}
    if args.json:
        print(to_json(data, indent=2))
    else:
        print(repr(report))
        if "retrain" in data:
            print(data["retrain"]["message"])
    return 1 if report.fired else 0


def cmd_monitor_rule(args: argparse.Namespace) -> int:
    """Show, set or remove (--clear) a model's retrain rule."""
    from .monitoring.triggers import monitor_rule, set_monitor_rule
    from .tracking import Tracker

    store = _open(args)
    if args.clear or args.rule:
        stored = set_monitor_rule(Tracker(store), args.name, None if args.clear else args.rule)
        print(f"{args.name}: {'no rule' if stored is None else 'rule ' + stored}")
        return 0
    rule = monitor_rule(store, args.name)
    print(rule if rule else f"{args.name} has no rule; set one with nbtrack monitor-rule "
          f"{args.name} \"drift.share >= 0.5\"")
    return 0


def add_model_commands(sub: Any) -> None:
    """Add the registry and serving commands to the ``nbtrack`` parser's subcommands."""
    register = sub.add_parser("register", help="register a run's model as a new version")
    register.add_argument("run", help="run id or unique prefix")
    register.add_argument("name", help="the registered model (created by its first version)")
    register.add_argument("--artifact", help="the model artifact, when the run saved several")
    register.add_argument("--alias", help="also point this alias at the new version")
    register.add_argument("--onnx", action="store_true", help="also keep an ONNX export "
                          "(scikit-learn models; nbtrack[onnx]), served by nbtrack serve "
                          "once checked equal to the model on the reference rows")
    register.add_argument("--reference", metavar="FILE", help="a .csv or .parquet file of "
                          "the training inputs: the sample monitoring compares served data "
                          "with, and the rows an ONNX export is checked on (default: the "
                          "table the run's %%%%track cell read)")
    register.set_defaults(func=cmd_register)

    promote = sub.add_parser("promote", help="point an alias (production, staging) at a "
                             "version")
    promote.add_argument("name")
    promote.add_argument("version", type=int)
    promote.add_argument("alias")
    promote.add_argument("--expected", type=int, help="move only if the alias points at "
                         "this version now (compare-and-set)")
    promote.set_defaults(func=cmd_promote)

    serve = sub.add_parser("serve", help="serve a registered model over HTTP (127.0.0.1, "
                           "Bearer token)")
    serve.add_argument("address", help="NAME, NAME/3 or NAME@production")
    serve.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback)")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument("--strict", action="store_true", help="refuse columns the model "
                       "does not know")
    serve.add_argument("--no-log-inputs", action="store_true", help="log requests without "
                       "their inputs and predictions")
    formats = serve.add_mutually_exclusive_group()
    formats.add_argument("--onnx", action="store_true", default=None, help="always serve "
                         "the version's ONNX export through onnxruntime (registered with "
                         "onnx=True), even one not checked equal to the model")
    formats.add_argument("--model-file", dest="onnx", action="store_false", help="always "
                         "serve the model file (skops), never the ONNX export; by default a "
                         "version's export is served when it was checked equal to the model "
                         "on its reference rows")
    serve.set_defaults(func=cmd_serve)

    predict = sub.add_parser("predict", help="predict a CSV or Parquet file with a registered "
                             "model (no server)")
    predict.add_argument("address", help="NAME, NAME/3 or NAME@production")
    predict.add_argument("input", help="a .csv or .parquet file with the model's columns")
    predict.add_argument("--output", "-o", help="the CSV to write (default: standard output)")
    predict.add_argument("--strict", action="store_true", help="refuse columns the model "
                         "does not know")
    predict.set_defaults(func=cmd_predict)

    monitor = sub.add_parser("monitor", help="errors, latency and input drift of a served "
                             "version (exit 1 when its retrain rule, or drift, fires)")
    monitor.add_argument("address", help="NAME, NAME/3 or NAME@production")
    monitor.add_argument("--reference", help="a .csv or .parquet of the training inputs "
                         "(default: the sample kept at registration)")
    monitor.add_argument("--last", type=int, default=1000, help="how many of the latest "
                         "logged requests (default 1000), without --window")
    monitor.add_argument("--window", help="consecutive windows of this length: 30m, 6h, 1d")
    monitor.add_argument("--windows", type=int, default=30, help="with --window: how many "
                         "windows, the last holding the latest request (default 30)")
    monitor.add_argument("--json", action="store_true", help="print JSON")
    monitor.add_argument("--retrain", action="store_true", help="when the rule fires, "
                         "re-execute the version's notebook in a fresh kernel and register "
                         "the new model as a version with no alias")
    monitor.add_argument("--param", action="append", metavar="KEY=VALUE", help="with "
                         "--retrain: a param of the training cell to change (repeatable)")
    monitor.add_argument("--cooldown", type=float, default=24.0, help="hours after a retrain "
                         "during which no other starts (default 24)")
    monitor.set_defaults(func=cmd_monitor)

    rule = sub.add_parser("monitor-rule", help="show or set a model's retrain rule (the "
                          "filter grammar on monitoring figures)")
    rule.add_argument("name", help="the registered model")
    rule.add_argument("rule", nargs="?", help="e.g. \"drift.share >= 0.5 or f1 < "
                      "baseline.f1 - 0.05\"")
    rule.add_argument("--clear", action="store_true", help="remove the rule")
    rule.set_defaults(func=cmd_monitor_rule)

    models = sub.add_parser("models", help="registered models; `models NAME`: its versions; "
                            "`models history [NAME]`: every registry change")
    models.add_argument("words", nargs="*", metavar="NAME | history NAME")
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(func=cmd_models)
