"""A tiny, randomly initialised CogVideoX pipeline built from real diffusers/transformers
classes, for tests, CI and demos without weights or network. Its output is noise.

It is built once (seeded, so always the same weights), written with `save_pretrained`, and
then loaded through the same `from_pretrained` path as a real checkpoint.
"""

from __future__ import annotations

import string
from pathlib import Path

TINY_MODEL_VERSION = "v1"


def _tiny_vocab() -> list[tuple[str, float]]:
    # T5 layout: <pad>=0, </s>=1, <unk>=2, then pieces. Single characters with and without
    # the word-start marker are enough to tokenize any ASCII prompt without <unk>.
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    for char in string.ascii_letters + string.digits + string.punctuation:
        vocab.append((char, -5.0))
        vocab.append(("\u2581" + char, -4.0))
    return vocab


def _text_parts():
    from transformers import T5Config, T5EncoderModel, T5Tokenizer

    vocab = _tiny_vocab()
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=226)
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(vocab),
            d_model=32,
            d_ff=37,
            d_kv=8,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
        )
    )
    return tokenizer, text_encoder


def _tiny_vae():
    from diffusers import AutoencoderKLCogVideoX

    return AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )


def _save(pipeline, target: Path) -> Path:
    staging = target.with_name(target.name + ".partial")
    pipeline.save_pretrained(staging)
    staging.rename(target)
    return target


def build_tiny_pipeline(target: Path) -> Path:
    """Create the tiny pipeline folder at `target` (atomically) and return it."""
    import torch
    from diffusers import CogVideoXDDIMScheduler, CogVideoXPipeline, CogVideoXTransformer3DModel

    if (target / "model_index.json").exists():
        return target
    torch.manual_seed(0)
    tokenizer, text_encoder = _text_parts()
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=2,
        sample_width=8,
        sample_height=8,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=226,
    )
    pipeline = CogVideoXPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=_tiny_vae(),
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    return _save(pipeline, target)


def build_tiny_i2v_pipeline(target: Path) -> Path:
    """The tiny image-to-video pipeline (CogVideoXImageToVideoPipeline), built like the text
    one. As in CogVideoX-5b-I2V's transformer config: in_channels is twice the latent
    channels (the noisy latents and the image's latents are concatenated per frame), the
    position embedding is learned beside the rotary one (so the pipeline renders its sample size only: 8x8 latent
    pixels, 64x64 frames), and there is no ofs embedding (that is 1.5's, ofs_embed_dim)."""
    import torch
    from diffusers import CogVideoXDDIMScheduler, CogVideoXImageToVideoPipeline, CogVideoXTransformer3DModel

    if (target / "model_index.json").exists():
        return target
    torch.manual_seed(0)
    tokenizer, text_encoder = _text_parts()
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=16,  # rotary embedding: t, h, w take 4, 6 and 6 of it
        in_channels=8,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=2,
        sample_width=8,
        sample_height=8,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=226,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    pipeline = CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=_tiny_vae(),
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    return _save(pipeline, target)
