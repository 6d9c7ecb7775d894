"""Tensor parallelism in one file (Part 8 of Practical PyTorch).

Run it on a machine with several GPUs (one process per GPU):

    torchrun --nproc-per-node 2 tp_demo.py
    torchrun --nproc-per-node 2 tp_demo.py --model Qwen/Qwen2.5-7B-Instruct

Every process loads only its own slice of each big weight matrix ("shard"): column-wise for
q/k/v and the MLP's up/gate projections, row-wise for the output projections, as the model's
`tp_plan` says. During a forward pass each GPU multiplies its slice, and an all-reduce adds the
partial results so that every GPU ends up with the same output. The GPUs work at the same time,
unlike device_map="auto", which runs the layers on one GPU after another.

torchrun starts the processes and sets RANK/WORLD_SIZE; transformers sets up the process group
(NCCL on GPUs, gloo on CPUs). The number of attention heads and key/value heads must divide by
the number of processes: Qwen2.5-0.5B (14 heads, 2 KV heads) works with 2, and only with 2 (also
on a machine with 4 or 8 GPUs). Without torchrun the same call just loads the whole model in one
process.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.distributed import DistributedConfig


def local_shape(tensor: torch.Tensor) -> tuple[int, ...]:
    """The shape of the part of `tensor` that this process holds (a DTensor's local shard)."""
    to_local = getattr(tensor, "to_local", None)
    return tuple((to_local() if to_local else tensor).shape)


def pick_dtype() -> torch.dtype:
    """float16 on a card without native bf16 (a T4 is compute capability 7.5), bfloat16 from 8.0
    on, float32 on the CPU: the same rule as course_utils.gpu_report()."""
    if not torch.cuda.is_available():
        return torch.float32
    return torch.bfloat16 if torch.cuda.get_device_capability() >= (8, 0) else torch.float16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="Qwen/Qwen2.5-0.5B-Instruct")
    parser.add_argument("--prompt", default="What is the capital of France?")
    parser.add_argument("--max-new-tokens", type=int, default=20)
    args = parser.parse_args()

    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    dtype = pick_dtype()

    start = time.perf_counter()
    # tp_plan="auto": use the sharding plan the model's config ships with. (Passing tp_plan=
    # straight to from_pretrained still works in transformers 5 but is deprecated.)
    model = AutoModelForCausalLM.from_pretrained(
        args.model, dtype=dtype, distributed_config=DistributedConfig(tp_plan="auto")
    )
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    loaded = time.perf_counter() - start

    q_proj = model.model.layers[0].self_attn.q_proj.weight
    print(f"[rank {rank}/{world}] loaded in {loaded:.1f} s on {model.device}; layer 0 q_proj: "
          f"full {tuple(q_proj.shape)}, this process holds {local_shape(q_proj)}", flush=True)

    messages = [{"role": "user", "content": args.prompt}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True).to(model.device)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=args.max_new_tokens, do_sample=False)
    if rank == 0:  # every rank computed the same tokens; print them once
        print(tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))

    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
