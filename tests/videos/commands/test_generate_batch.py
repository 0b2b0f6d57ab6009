"""`manage.py generate_batch` in-process: formats, validation, dry run, keys, reports, exit
codes. Following jobs run by real workers is in test_generate_batch_live.py."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from videos.models import PromptTemplate, VideoJob

TINY = ["--duration", "1", "--resolution", "64x64", "--quality", "draft"]


def run(*args: str) -> tuple[int, dict | str, str]:
    """(exit code, stdout as JSON when --json else text, stderr)."""
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("generate_batch", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    text = out.getvalue()
    return code, json.loads(text) if "--json" in args else text, err.getvalue()


def jobs_of(user):
    return VideoJob.objects.filter(owner=user).order_by("created_at")


def test_txt_rows_become_low_priority_batch_jobs(owner, tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text("a fox in snow\n# comment\na cat on a roof\n")
    code, doc, _ = run(str(path), "--owner", owner.username, *TINY, "--seed", "5", "--json")
    assert code == 0
    assert doc["summary"] == {"rows": 2, "queued": 2, "existed": 0, "submitted_now": 2}
    jobs = list(jobs_of(owner))
    assert [j.prompt for j in jobs] == ["a fox in snow", "a cat on a roof"]
    assert {
        (j.source, j.priority, j.params["resolution"], j.params["num_inference_steps"], j.params["seed"]) for j in jobs
    } == {("batch", -10, "64x64", 2, 5)}
    assert [row["task_id"] for row in doc["rows"]] == [str(j.id) for j in jobs]
    assert [row["row"] for row in doc["rows"]] == [1, 3]
    assert all(j.idempotency_key.startswith("batch:") for j in jobs)


def test_csv_with_template_and_row_overrides(owner, tmp_path):
    PromptTemplate.objects.create(
        slug="product", name="Product", text="A {product} on a white table", default_params={"duration": 1}
    )
    path = tmp_path / "rows.csv"
    path.write_text(
        "template,var_product,prompt,resolution,seed,metadata,negative_prompt\n"
        'product,red shoe,,64x64,11,"{""post"": 3}",blurry\n'
        ",,a lighthouse at dusk,128x64,12,,\n"
    )
    code, doc, _ = run(str(path), "--owner", owner.username, "--quality", "draft", "--priority", "-3", "--json")
    assert code == 0, doc
    first, second = jobs_of(owner)
    assert (first.prompt, first.template.slug, first.variables, first.metadata, first.negative_prompt) == (
        "A red shoe on a white table",
        "product",
        {"product": "red shoe"},
        {"post": 3},
        "blurry",
    )
    assert (first.params["duration"], first.params["seed"], first.priority) == (1, 11, -3)
    assert (second.prompt, second.params["resolution"], second.params["seed"]) == ("a lighthouse at dusk", "128x64", 12)


def test_jsonl_rows_use_api_field_names(owner, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(
        json.dumps({"prompt": "a fox", "duration": 1, "resolution": "64x64", "num_inference_steps": 2, "seed": 1})
        + "\n"
        + json.dumps({"prompt": "a cat", "enhance_quality": False, "resolution": "64x64", "duration": 1})
        + "\n"
    )
    code, _doc, _ = run(str(path), "--owner", owner.username, "--json")
    assert code == 0
    fox, cat = jobs_of(owner)
    assert (fox.params["num_inference_steps"], fox.params["seed"]) == (2, 1)
    assert (cat.params["enhance_quality"], cat.params["num_inference_steps"]) == (False, 2)


def test_rerun_creates_nothing_and_an_edited_row_only_itself(owner, tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text("a fox\na cat\na fox\n")  # two identical lines are two videos
    assert run(str(path), "--owner", owner.username, *TINY)[0] == 0
    first_ids = list(jobs_of(owner).values_list("id", flat=True))
    assert len(first_ids) == 3

    code, doc, _ = run(str(path), "--owner", owner.username, *TINY, "--json")
    assert code == 0 and doc["summary"]["submitted_now"] == 0 and doc["summary"]["existed"] == 3
    assert list(jobs_of(owner).values_list("id", flat=True)) == first_ids

    path.write_text("a fox\na black cat\na fox\n")  # fix one row
    code, doc, _ = run(str(path), "--owner", owner.username, *TINY, "--json")
    assert doc["summary"]["submitted_now"] == 1
    assert jobs_of(owner).count() == 4
    assert [r["task_id"] for r in doc["rows"]][0::2] == [str(first_ids[0]), str(first_ids[2])]

    # A deliberately separate run of the same file.
    code, doc, _ = run(str(path), "--owner", owner.username, *TINY, "--json", "--run-label", "v2")
    assert doc["summary"]["submitted_now"] == 3 and jobs_of(owner).count() == 7


def test_dry_run_validates_every_row_and_submits_nothing(owner, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("prompt,duration,resolution\na fox,1,64x64\na cat,abc,64x64\n,1,64x64\na owl,9,65x64\n")
    code, text, _ = run(str(path), "--owner", owner.username, "--dry-run")
    assert code == 1
    assert "line 2: 64x64, 1 s, 4 steps, seed random: a fox" in text
    assert "line 3: INVALID: duration 'abc': Must be a whole number" in text
    assert "line 4: INVALID: prompt: Give a prompt" in text
    assert "line 5: INVALID: duration 9: Must be a whole number of seconds from 1 to 6" in text
    assert "resolution '65x64': width 65 is not a multiple of 16" in text
    assert "1 of 4 rows would be submitted" in text
    code, doc, _ = run(str(path), "--owner", owner.username, "--dry-run", "--json")
    assert code == 1 and doc["valid"] == 1
    assert [(r["row"], r["valid"]) for r in doc["rows"]] == [(2, True), (3, False), (4, False), (5, False)]
    assert not VideoJob.objects.exists()


def test_invalid_rows_stop_everything_unless_skip_invalid(owner, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"prompt": "a fox", "duration": 1, "resolution": "64x64"}\n'
        '{"prompt": "a cat", "duration": 1, "colour": "red"}\n'
    )
    with pytest.raises(CommandError, match="1 of 2 rows are invalid; nothing was submitted") as error:
        run(str(path), "--owner", owner.username)
    assert error.value.returncode == 1
    assert not VideoJob.objects.exists()

    report = tmp_path / "report.csv"
    code, _text, err = run(str(path), "--owner", owner.username, "--skip-invalid", "--report", str(report))
    assert code == 1  # a row was not submitted: never a silent success
    assert "line 2: invalid: colour 'red': Unknown field." in err
    assert VideoJob.objects.count() == 1
    rows = list(csv.DictReader(report.open()))
    assert [(r["row"], r["status"], r["error"]) for r in rows] == [
        ("1", "queued", ""),
        ("2", "invalid", "colour 'red': Unknown field."),
    ]
    assert rows[0]["task_id"] == str(VideoJob.objects.get().id)


def test_malformed_file_submits_nothing_with_the_line_number(owner, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"prompt": "a fox"}\n{"prompt": "a cat",}\n')
    with pytest.raises(CommandError, match=r"line 2: broken JSON line") as error:
        run(str(path), "--owner", owner.username, *TINY)
    assert error.value.returncode == 2
    assert not VideoJob.objects.exists()
    code, doc, _ = run(str(path), "--owner", owner.username, *TINY, "--skip-invalid", "--json")
    assert code == 1 and [r["status"] for r in doc["rows"]] == ["queued", "invalid"]


def test_report_json_and_bad_options(owner, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("a fox\n")
    report = tmp_path / "out.json"
    assert run(str(path), "--owner", owner.username, *TINY, "--report", str(report))[0] == 0
    data = json.loads(report.read_text())
    assert data["summary"]["rows"] == 1
    assert set(data["rows"][0]) == {"row", "prompt", "task_id", "status", "video_id", "file", "seconds", "error"}
    for args, message in [
        (["--report", str(tmp_path / "r.xlsx")], "must end in .csv or .json"),
        (["--priority", "1000"], "--priority must be from -100 to 100"),
        (["--owner", "nobody"], "No user 'nobody'"),
    ]:
        with pytest.raises(CommandError, match=message):
            run(str(path), "--owner", owner.username, *args) if args[0] != "--owner" else run(str(path), *args)
    with pytest.raises(CommandError, match="--owner USERNAME"):
        run(str(path))  # no superuser to default to
    assert VideoJob.objects.count() == 1


def test_an_inactive_owner_is_refused(owner, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("a fox\n")
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="User 'alice' is inactive"):
        run(str(path), "--owner", owner.username, *TINY)
    assert not VideoJob.objects.exists()
