"""The test process never writes into the repository's own data folder."""

from tests.support.live import ROOT


def test_in_process_data_lives_in_a_throwaway_folder(settings):
    assert "cogvideo-tests-" in str(settings.DATA_DIR)
    assert not str(settings.MEDIA_ROOT).startswith(str(ROOT))
