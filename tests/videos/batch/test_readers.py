"""File readers: every format, line numbers, and clear errors for malformed files."""

from __future__ import annotations

import pytest

from videos.batch.readers import BatchFileError, read_batch_file


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_txt_one_prompt_a_line_skips_blanks_and_comments(tmp_path):
    path = write(tmp_path, "p.txt", "a fox in snow\n\n# not a row\n  a cat on a roof  \r\n")
    rows = read_batch_file(path)
    assert [(r.line, r.fields) for r in rows] == [(1, {"prompt": "a fox in snow"}), (4, {"prompt": "a cat on a roof"})]


def test_csv_cells_become_typed_values_and_variables(tmp_path):
    path = write(
        tmp_path,
        "p.csv",
        "\ufeffprompt,duration,resolution,seed,metadata,quality,guidance_scale,var_animal\n"
        'a fox,1,64x64,7,"{""post"": 12}",draft,5.5,\n'
        "\n"
        '"a cat,\non two lines",abc,,,,,,\n'
        ",2,,,,,,owl\n",
    )
    rows = read_batch_file(path)
    assert [r.line for r in rows] == [2, 4, 6]
    assert rows[0].fields == {
        "prompt": "a fox",
        "duration": 1,
        "resolution": "64x64",
        "seed": 7,
        "metadata": {"post": 12},
        "quality": "draft",
        "guidance_scale": 5.5,
    }
    # A cell that is not a number stays text: the API's serializer names the problem.
    assert rows[1].fields == {"prompt": "a cat,\non two lines", "duration": "abc"}
    assert rows[2].fields == {"duration": 2, "variables": {"animal": "owl"}}


def test_csv_broken_json_cell_and_short_row_are_row_errors(tmp_path):
    path = write(tmp_path, "p.csv", "prompt,metadata\na fox,{oops\na cat\n")
    rows = read_batch_file(path)
    assert rows[0].line == 2 and rows[0].error.startswith("metadata: not valid JSON")
    assert rows[1].line == 3 and "1 cells but the header has 2 columns" in rows[1].error


def test_csv_missing_or_unknown_column_is_a_file_error_on_line_1(tmp_path):
    with pytest.raises(BatchFileError) as missing:
        read_batch_file(write(tmp_path, "a.csv", "duration,resolution\n1,64x64\n"))
    assert missing.value.line == 1 and "missing column" in missing.value.message
    # With --template, the columns can be the template's variables alone.
    assert read_batch_file(tmp_path / "a.csv", default_template=True)[0].fields == {
        "duration": 1,
        "resolution": "64x64",
    }
    with pytest.raises(BatchFileError) as unknown:
        read_batch_file(write(tmp_path, "b.csv", "prompt,lenght\na fox,1\n"))
    assert unknown.value.line == 1 and "'lenght'" in str(unknown.value)


def test_jsonl_rows_and_a_broken_line(tmp_path):
    good = write(
        tmp_path, "a.jsonl", '{"prompt": "a fox", "duration": 1}\n\n{"template": "t", "variables": {"x": 1}}\n'
    )
    assert [(r.line, r.fields) for r in read_batch_file(good)] == [
        (1, {"prompt": "a fox", "duration": 1}),
        (3, {"template": "t", "variables": {"x": 1}}),
    ]
    broken = write(tmp_path, "b.jsonl", '{"prompt": "a fox"}\n{"prompt": "a cat"\n["not", "an object"]\n')
    with pytest.raises(BatchFileError) as error:
        read_batch_file(broken)
    assert error.value.line == 2 and "broken JSON line" in str(error.value)
    rows = read_batch_file(broken, skip_invalid=True)
    assert [(r.line, bool(r.error)) for r in rows] == [(1, False), (2, True), (3, True)]
    assert "expected a JSON object" in rows[2].error


def test_bad_encoding_names_the_line(tmp_path):
    path = write(tmp_path, "p.txt", b"a fox\na caf\xe9 in Paris\na cat\n")
    with pytest.raises(BatchFileError) as error:
        read_batch_file(path)
    assert error.value.line == 2 and "UTF-8" in str(error.value)
    rows = read_batch_file(path, skip_invalid=True)
    assert [(r.line, r.fields.get("prompt"), bool(r.error)) for r in rows] == [
        (1, "a fox", False),
        (2, None, True),
        (3, "a cat", False),
    ]


def test_unknown_extension_and_empty_csv(tmp_path):
    with pytest.raises(BatchFileError, match="use .txt, .csv or .jsonl"):
        read_batch_file(write(tmp_path, "p.xlsx", "x"))
    with pytest.raises(BatchFileError, match="empty"):
        read_batch_file(write(tmp_path, "p.csv", ""))
