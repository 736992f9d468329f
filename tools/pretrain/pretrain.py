# BERT pretraining loop (masked LM + next-sentence prediction) on the project's corpus, resumable from checkpoints.
"""Train Headlight's own BERT on CPU (or a GPU if present) with plain PyTorch.

  /usr/bin/python3 tools/pretrain/pretrain.py --run-name mini --total-tokens 2e8 \\
      --phases 64:64:0.3,128:32:0.6,512:8:0.1 --lr 1e-3 --warmup 0.02
  /usr/bin/python3 tools/pretrain/pretrain.py --run-name mini --resume          # continue where it stopped

Everything goes to <out>/<run-name>/ (default ${HEADLIGHT_CACHE:-~/.cache/headlight}/pretrain/<run-name>/):
  checkpoint.pt  model, optimizer, scheduler, RNG states, step, tokens seen, accumulated wall and CPU time and
                 the run's arguments; written atomically (tmp file, fsync, rename) every --ckpt-minutes, at the
                 end, and on SIGINT/SIGTERM (the step in flight finishes first)
  log.jsonl      one JSON object per line: {"event": "start"|"resume"|"end", ...}, training lines (loss, MLM and
                 NSP accuracy, tokens/s) every --log-every steps, held-out lines ("eval") every --eval-every steps.
                 On --resume, lines written after the checkpoint's step are dropped, so the log reads as one run.

The schedule is fixed at the start and stored in the checkpoint: --total-tokens (padded positions, batch x seq per
step) are split over --phases "SEQ:BATCH:SHARE,..." (sequence length, batch size, share of the tokens), which
gives the number of steps; the learning rate warms up linearly over --warmup steps (a fraction of all steps if
< 1), then decays (linear or cosine) to --min-lr-ratio x --lr. Batches are a pure function of (--seed, step)
(data.py), so a resumed run sees exactly the batches and masks an uninterrupted one would. --max-steps and
--max-minutes only end this invocation (with a checkpoint); they do not change the schedule.

  ... --resume --reschedule --total-tokens 8e7 --phases 64:64:0.42,128:32:0.48,512:8:0.1

replaces the stored schedule from the checkpoint's step on (the learning rate follows the new decay from there; the
steps already trained stay as they were, so phases should agree with them). The log records a "reschedule" event.
"""
import argparse
import json
import math
import os
import signal
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from model import BertForPreTraining, Config, param_groups  # noqa: E402

# arguments that may change on --resume (everything else comes from the checkpoint); those with a default here
# keep the checkpoint's value on --resume unless given again
RUNTIME_ARGS = {"resume", "max_steps", "max_minutes", "log_every", "eval_every", "ckpt_minutes", "threads",
                "out", "run_name", "quiet", "device", "reschedule"}
SCHEDULE_ARGS = {"total_tokens", "phases"}
RUNTIME_DEFAULTS = {"log_every": 50, "eval_every": 1000, "ckpt_minutes": 5.0, "threads": 2}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus = os.path.join(data.cache_root(), "corpus")
    g = ap.add_argument_group("run")
    g.add_argument("--run-name", default="mini")
    g.add_argument("--out", default=os.path.join(data.cache_root(), "pretrain"), help="runs live in OUT/RUN-NAME")
    g.add_argument("--resume", action="store_true", help="continue OUT/RUN-NAME/checkpoint.pt")
    g.add_argument("--max-steps", type=int, help="stop this invocation at this global step")
    g.add_argument("--max-minutes", type=float, help="stop this invocation after this much wall time")
    g.add_argument("--log-every", type=int, help="steps between training log lines (default 50)")
    g.add_argument("--eval-every", type=int, help="steps between held-out evaluations (default 1000)")
    g.add_argument("--ckpt-minutes", type=float, help="minutes between checkpoints (default 5)")
    g.add_argument("--threads", type=int, help="torch threads (default 2)")
    g.add_argument("--quiet", action="store_true", help="no per-log-line output on stdout")
    g.add_argument("--reschedule", action="store_true",
                   help="with --resume: take --total-tokens and --phases from this command line, not the checkpoint")
    g = ap.add_argument_group("data")
    g.add_argument("--train", default=os.path.join(corpus, "train.txt"))
    g.add_argument("--heldout", default=os.path.join(corpus, "heldout.txt"))
    g.add_argument("--vocab", default=os.path.join(corpus, "vocab.txt"))
    g.add_argument("--mask-rate", type=float, default=0.15)
    g.add_argument("--short-seq-prob", type=float, default=0.1, help="BERT's share of shorter target lengths")
    g.add_argument("--eval-examples", type=int, default=1024, help="fixed held-out pairs (seq 128) per evaluation")
    g.add_argument("--seed", type=int, default=1)
    g = ap.add_argument_group("model")
    g.add_argument("--layers", type=int, default=4)
    g.add_argument("--hidden", type=int, default=256)
    g.add_argument("--heads", type=int, default=4)
    g.add_argument("--ff", type=int, default=1024)
    g.add_argument("--max-positions", type=int, default=512)
    g.add_argument("--dropout", type=float, default=0.0, help="hidden and attention dropout (BERT: 0.1)")
    g = ap.add_argument_group("optimisation")
    g.add_argument("--total-tokens", type=float, default=1e8, help="schedule length in padded tokens")
    g.add_argument("--phases", default="128:32:0.9,512:8:0.1", help="SEQ:BATCH:SHARE,... (shares sum to 1)")
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--warmup", type=float, default=0.02, help="warm-up steps, or a fraction of all steps if < 1")
    g.add_argument("--decay", choices=("linear", "cosine"), default="linear")
    g.add_argument("--min-lr-ratio", type=float, default=0.0)
    g.add_argument("--weight-decay", type=float, default=0.01)
    g.add_argument("--betas", default="0.9,0.999")
    g.add_argument("--eps", type=float, default=1e-6)
    g.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (0 = off)")
    g.add_argument("--no-bf16", action="store_true", help="fp32 instead of bf16 autocast")
    g.add_argument("--device", default="cpu", help="cpu, or cuda for a GPU (not stored: a run may move)")
    return ap.parse_args(argv)


def parse_phases(spec, total_tokens):
    """"128:32:0.9,512:8:0.1" -> [(seq, batch, steps), ...]."""
    phases = []
    for part in spec.split(","):
        seq, batch, share = part.split(":")
        seq, batch, share = int(seq), int(batch), float(share)
        phases.append((seq, batch, max(1, round(share * total_tokens / (seq * batch)))))
    return phases


def phase_at(phases, step):
    for seq, batch, n in phases:
        if step < n:
            return seq, batch
        step -= n
    return phases[-1][:2]


def lr_lambda(total, warmup, decay, min_ratio):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        p = min(1.0, (step - warmup) / max(1, total - warmup))
        k = (1 - p) if decay == "linear" else 0.5 * (1 + math.cos(math.pi * p))
        return min_ratio + (1 - min_ratio) * k
    return f


class Run:
    def __init__(self, args):
        self.args = args
        self.dir = os.path.join(args.out, args.run_name)
        self.ckpt = os.path.join(self.dir, "checkpoint.pt")
        self.log_path = os.path.join(self.dir, "log.jsonl")
        self.stop_signal = None

    def log(self, rec):
        with open(self.log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def say(self, msg):
        print(msg, flush=True)


def truncate_log(path, step):
    """Drop the log lines of steps after the checkpoint (they will be trained again)."""
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        lines = f.readlines()
    keep = [ln for ln in lines if json.loads(ln).get("step", -1) <= step]
    with open(path + ".tmp", "w") as f:
        f.writelines(keep)
    os.replace(path + ".tmp", path)
    return len(lines) - len(keep)


def save_atomic(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@torch.no_grad()
def evaluate(model, batches, autocast):
    model.eval()
    mlm_loss = mlm_ok = mlm_n = nsp_ok = nsp_n = 0
    for ids, tt, am, labels, nsp in batches:
        with autocast():
            logits, targets, nsp_logits = model(ids, tt, am, labels)
        logits = logits.float()
        mlm_loss += F.cross_entropy(logits, targets, reduction="sum").item()
        mlm_ok += (logits.argmax(-1) == targets).sum().item()
        mlm_n += len(targets)
        nsp_ok += (nsp_logits.argmax(-1) == nsp).sum().item()
        nsp_n += len(nsp)
    model.train()
    return {"mlm_loss": mlm_loss / mlm_n, "mlm_acc": mlm_ok / mlm_n, "nsp_acc": nsp_ok / nsp_n, "masked": mlm_n,
            "pairs": nsp_n}


def to_torch(batch, device="cpu"):
    return tuple(torch.from_numpy(x).to(device) for x in batch)


def main(argv=None):
    args = parse_args(argv)
    run = Run(args)
    os.makedirs(run.dir, exist_ok=True)

    state = None
    if args.resume:
        if not os.path.exists(run.ckpt):
            sys.exit(f"--resume: no checkpoint at {run.ckpt}")
        state = torch.load(run.ckpt, map_location="cpu")
        saved = state["args"]
        for k, v in vars(args).items():
            if args.reschedule and k in SCHEDULE_ARGS:
                if v != saved[k]:
                    run.log({"event": "reschedule", "step": state["step"], "arg": k, "old": saved[k], "new": v})
                    run.say(f"reschedule: {k} {saved[k]} -> {v} from step {state['step']}")
                continue
            if k not in RUNTIME_ARGS or (k in RUNTIME_DEFAULTS and v is None):
                setattr(args, k, saved[k])
        dropped = truncate_log(run.log_path, state["step"])
        run.say(f"resume: {run.ckpt} at step {state['step']} ({state['tokens_seen']:,} tokens, "
                f"{state['wall_s'] / 60:.1f} min wall, {state['cpu_s'] / 60:.1f} min CPU so far); "
                f"dropped {dropped} log lines after it")
    elif os.path.exists(run.ckpt):
        sys.exit(f"{run.ckpt} exists: use --resume, or another --run-name")
    elif os.path.exists(run.log_path):
        os.remove(run.log_path)

    for k, v in RUNTIME_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    torch.set_num_threads(args.threads)
    vocab = data.load_vocab(args.vocab)
    train = data.load_corpus(args.train, args.vocab, log=run.say)
    heldout = data.load_corpus(args.heldout, args.vocab, log=run.say)

    cfg = Config(vocab_size=len(vocab), hidden_size=args.hidden, num_hidden_layers=args.layers,
                 num_attention_heads=args.heads, intermediate_size=args.ff, max_position_embeddings=args.max_positions,
                 hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout)
    torch.manual_seed(args.seed)
    model = BertForPreTraining(cfg).to(args.device)
    phases = parse_phases(args.phases, args.total_tokens)
    if max(p[0] for p in phases) > cfg.max_position_embeddings:
        sys.exit("a phase is longer than --max-positions")
    total_steps = sum(p[2] for p in phases)
    warmup = int(args.warmup * total_steps) if args.warmup < 1 else int(args.warmup)
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr,
                            betas=tuple(float(b) for b in args.betas.split(",")), eps=args.eps)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(total_steps, max(1, warmup), args.decay,
                                                             args.min_lr_ratio))
    step, tokens_seen, padded_seen, wall_prev, cpu_prev = 0, 0, 0, 0.0, 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        if state.get("cuda_rng") is not None and args.device.startswith("cuda"):
            torch.cuda.set_rng_state(state["cuda_rng"])
        step, tokens_seen, padded_seen = state["step"], state["tokens_seen"], state["padded_tokens_seen"]
        wall_prev, cpu_prev = state["wall_s"], state["cpu_s"]
    n_params = sum(p.numel() for p in model.parameters())
    use_bf16 = not args.no_bf16

    def autocast():
        return torch.autocast(args.device.split(":")[0], dtype=torch.bfloat16, enabled=use_bf16)

    # fixed held-out sample, the same in every evaluation and every run (masked at 15% whatever --mask-rate is)
    erng = data.batch_rng(args.seed, 0, stream=1)
    eval_batches = [to_torch(data.make_batch(heldout, min(64, args.eval_examples - i), 128, erng, 0.15,
                                             len(vocab), args.short_seq_prob), args.device)
                    for i in range(0, args.eval_examples, 64)]

    info = {"step": step, "total_steps": total_steps, "warmup_steps": warmup, "phases": phases,
            "params": n_params, "config": cfg.to_dict(), "args": vars(args), "train": train.summary(),
            "heldout": heldout.summary(), "torch": torch.__version__, "threads": torch.get_num_threads()}
    run.log({"event": "resume" if state else "start", **info})
    run.say(f"{'resume' if state else 'start'} {run.dir}: {n_params / 1e6:.2f} M parameters, {total_steps} steps "
            f"({', '.join(f'{n} x {b}x{s}' for s, b, n in phases)}), warm-up {warmup}, lr {args.lr}, "
            f"{'bf16' if use_bf16 else 'fp32'}, {torch.get_num_threads()} threads")

    def handler(signum, _frame):
        run.stop_signal = signum
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)

    t_wall0, t_cpu0 = time.time(), time.process_time()
    last_ckpt = time.time()

    def totals():
        return wall_prev + time.time() - t_wall0, cpu_prev + time.process_time() - t_cpu0

    def checkpoint(reason):
        wall, cpu = totals()
        save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                     "torch_rng": torch.get_rng_state(),
                     "cuda_rng": torch.cuda.get_rng_state() if args.device.startswith("cuda") else None,
                     "step": step, "tokens_seen": tokens_seen,
                     "padded_tokens_seen": padded_seen, "wall_s": wall, "cpu_s": cpu, "args": vars(args),
                     "config": cfg.to_dict(), "phases": phases, "total_steps": total_steps,
                     "vocab": vocab}, run.ckpt)
        run.say(f"checkpoint ({reason}) at step {step}: {run.ckpt}")

    def do_eval():
        t = time.time()
        r = evaluate(model, eval_batches, autocast)
        wall, cpu = totals()
        rec = {"event": "eval", "step": step, "tokens": tokens_seen, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
               **{k: round(v, 5) if isinstance(v, float) else v for k, v in r.items()},
               "eval_s": round(time.time() - t, 1)}
        run.log(rec)
        run.say(f"  eval step {step}: held-out MLM loss {r['mlm_loss']:.3f} acc {100 * r['mlm_acc']:.1f}%  "
                f"NSP acc {100 * r['nsp_acc']:.1f}%  ({rec['eval_s']}s)")

    if state is None:
        do_eval()
    model.train()
    acc = dict(loss=0.0, mlm=0.0, nsp=0.0, mlm_ok=0, mlm_n=0, nsp_ok=0, nsp_n=0, tok=0, pad=0, n=0)
    t_log = time.time()
    start_step = step
    reason = None
    while True:
        if step >= total_steps:
            reason = "schedule done"
        elif args.max_steps is not None and step >= args.max_steps:
            reason = "max-steps"
        elif args.max_minutes is not None and time.time() - t_wall0 >= 60 * args.max_minutes:
            reason = "max-minutes"
        elif run.stop_signal is not None:
            reason = f"signal {run.stop_signal}"
        if reason:
            break
        seq, batch = phase_at(phases, step)
        batch_np = data.make_batch(train, batch, seq, data.batch_rng(args.seed, step), args.mask_rate, len(vocab),
                                   args.short_seq_prob)
        ids, tt, am, labels, nsp = to_torch(batch_np, args.device)
        with autocast():
            logits, targets, nsp_logits = model(ids, tt, am, labels)
        mlm_loss = F.cross_entropy(logits.float(), targets)
        nsp_loss = F.cross_entropy(nsp_logits.float(), nsp)
        loss = mlm_loss + nsp_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        step += 1
        real = int(am.sum())   # (on a GPU this syncs once per step; negligible next to the step)
        tokens_seen += real
        padded_seen += ids.numel()
        with torch.no_grad():
            acc["loss"] += loss.item()
            acc["mlm"] += mlm_loss.item()
            acc["nsp"] += nsp_loss.item()
            acc["mlm_ok"] += (logits.argmax(-1) == targets).sum().item()
            acc["mlm_n"] += len(targets)
            acc["nsp_ok"] += (nsp_logits.argmax(-1) == nsp).sum().item()
            acc["nsp_n"] += len(nsp)
        acc["tok"] += real
        acc["pad"] += ids.numel()
        acc["n"] += 1
        if step % args.log_every == 0 or step == total_steps:
            dt = time.time() - t_log
            wall, cpu = totals()
            n = acc["n"]
            rec = {"event": "train", "step": step, "tokens": tokens_seen, "lr": lr, "seq": seq, "batch": batch,
                   "loss": round(acc["loss"] / n, 4), "mlm_loss": round(acc["mlm"] / n, 4),
                   "nsp_loss": round(acc["nsp"] / n, 4), "mlm_acc": round(acc["mlm_ok"] / acc["mlm_n"], 4),
                   "nsp_acc": round(acc["nsp_ok"] / acc["nsp_n"], 4), "tok_s": round(acc["tok"] / dt),
                   "padded_tok_s": round(acc["pad"] / dt), "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
            run.log(rec)
            if not args.quiet:
                run.say(f"step {step:6d}/{total_steps} seq {seq:3d} lr {lr:.2e} loss {rec['loss']:.3f} "
                        f"(mlm {rec['mlm_loss']:.3f}, nsp {rec['nsp_loss']:.3f}) mlm acc {100 * rec['mlm_acc']:.1f}% "
                        f"nsp acc {100 * rec['nsp_acc']:.1f}% {rec['tok_s']} tok/s ({rec['padded_tok_s']} padded) "
                        f"{tokens_seen / 1e6:.2f} M tokens")
            acc = {k: 0 for k in acc}
            t_log = time.time()
        if step % args.eval_every == 0 or step == total_steps:
            do_eval()
        if time.time() - last_ckpt >= 60 * args.ckpt_minutes:
            checkpoint("periodic")
            last_ckpt = time.time()
    if step > start_step or state is None:
        checkpoint(reason)
    wall, cpu = totals()
    run.log({"event": "end", "step": step, "reason": reason, "tokens": tokens_seen, "wall_s": round(wall, 1),
             "cpu_s": round(cpu, 1)})
    run.say(f"stopped ({reason}) at step {step}/{total_steps}: {tokens_seen:,} tokens, "
            f"{wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU in total")


if __name__ == "__main__":
    main()
