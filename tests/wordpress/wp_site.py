"""Throwaway WordPress sites for the plugin tests.

A site is Debian's WordPress package (/usr/share/wordpress) with its own:
  - MariaDB database (fresh each run, dropped afterwards),
  - /etc/wordpress/config-<name>.php (Debian's wp-config.php picks it by WORDPRESS_CONFIG),
  - wp-content folder in a temporary directory (plugins, uploads; themes linked from the package),
served by ``php -S`` through ``router.php``.

Usable from pytest (see test_wordpress_plugin.py) or by hand (as root: it writes
/etc/wordpress/config-*.php and creates a MariaDB database):
    python tests/wordpress/wp_site.py --port 8899      # serves until Ctrl-C
    python tests/wordpress/wp_site.py --zip dist/      # just build dist/cogvideox.zip
    python tests/wordpress/wp_site.py --pot            # regenerate languages/cogvideox.pot
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PLUGIN_SRC = REPO / "wordpress-plugin"
WP_ROOT = Path("/usr/share/wordpress")
WP_CONFIG_DIR = Path("/etc/wordpress")

# An account that may create databases and users. Tried over TCP first, then (as root on the
# same machine, where Debian's MariaDB uses unix_socket authentication) over the local socket.
DB_HOST = os.environ.get("COGVIDEOX_WP_DB_HOST", "127.0.0.1")
DB_PORT = int(os.environ.get("COGVIDEOX_WP_DB_PORT", "3306"))
DB_ADMIN_USER = os.environ.get("COGVIDEOX_WP_DB_USER", "root")
DB_ADMIN_PASSWORD = os.environ.get("COGVIDEOX_WP_DB_PASSWORD", "")

REQUIRED_COMMANDS = ("php", "mysql")


def missing_requirements() -> list[str]:
    """What this machine lacks to run a site (empty list: all there)."""
    missing = [cmd for cmd in REQUIRED_COMMANDS if shutil.which(cmd) is None]
    if not (WP_ROOT / "wp-settings.php").exists():
        missing.append("Debian package 'wordpress' (/usr/share/wordpress)")
    if shutil.which("php"):
        modules = subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.lower()
        if "mysqli" not in modules:
            missing.append("php-mysql")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plugin_php_files() -> list[Path]:
    return sorted(PLUGIN_SRC.rglob("*.php"))


def build_plugin_zip(dest_dir: Path) -> Path:
    """Zip wordpress-plugin/ the way an admin uploads it: one top folder, cogvideox/."""
    staging = Path(tempfile.mkdtemp(prefix="cogvideox-zip-"))
    try:
        shutil.copytree(PLUGIN_SRC, staging / "cogvideox")
        archive = shutil.make_archive(str(dest_dir / "cogvideox"), "zip", root_dir=staging, base_dir="cogvideox")
        return Path(archive)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


POT_HEADER = """# Copyright (C) 2026 CogVideoX Studio
# This file is distributed under the GPL-2.0-or-later.
msgid ""
msgstr ""
"Project-Id-Version: CogVideoX Studio 1.0.0\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"X-Domain: cogvideox\\n"
"""

# WordPress's translation functions, as xgettext keywords (msgid, plural, context).
POT_KEYWORDS = {
    "PHP": ("__", "_e", "esc_html__", "esc_html_e", "esc_attr__", "esc_attr_e", "_x:1,2c", "_n:1,2", "_nx:1,2,4c"),
    "JavaScript": ("__", "_x:1,2c", "_n:1,2", "_nx:1,2,4c"),
}


def make_pot(dest: Path | None = None) -> Path:
    """Regenerate the plugin's languages/cogvideox.pot from its PHP and JavaScript strings
    (GNU gettext's xgettext, `translators:` comments kept) and block.json's title, description
    and keywords (with WordPress's block contexts); sorted, unwrapped, without locations."""
    dest = dest or PLUGIN_SRC / "languages" / "cogvideox.pot"
    work = Path(tempfile.mkdtemp(prefix="cogvideox-pot-"))
    try:
        parts = []
        for language, pattern in (("PHP", "*.php"), ("JavaScript", "*.js")):
            files = sorted(str(p.relative_to(PLUGIN_SRC)) for p in PLUGIN_SRC.rglob(pattern))
            out = work / f"{language}.pot"
            keywords = [f"--keyword={k}" for k in POT_KEYWORDS[language]]
            subprocess.run(
                ["xgettext", f"--language={language}", "--from-code=UTF-8", "--add-comments=translators:"]
                + ["--no-location", "--no-wrap", "--sort-output", "--keyword", *keywords, "-o", str(out), *files],
                cwd=PLUGIN_SRC,
                check=True,
            )
            parts.append(out)
        block = json.loads((PLUGIN_SRC / "blocks" / "video" / "block.json").read_text())
        quote = lambda text: json.dumps(text, ensure_ascii=False)  # noqa: E731 - PO strings escape like JSON's
        lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
        strings = [("block title", block["title"]), ("block description", block["description"])]
        strings += [("block keyword", keyword) for keyword in block["keywords"]]
        for context, text in strings:
            lines += [f'msgctxt "{context}"', f"msgid {quote(text)}", 'msgstr ""', ""]
        (work / "block.pot").write_text("\n".join(lines))
        parts.append(work / "block.pot")
        merged = work / "all.pot"
        flags = ["--sort-output", "--no-location", "--no-wrap", "--use-first"]
        subprocess.run(["msgcat", *flags, *map(str, parts), "-o", str(merged)], check=True)
        body = merged.read_text()
        # xgettext's placeholder header gives way to the plugin's own.
        body = body[body.index("\n\n", body.index('msgid ""')) + 2 :]
        dest.write_text(POT_HEADER + "\n" + body)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


class WordPressSite:
    """One throwaway site. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        install_plugin: bool = True,
        port: int | None = None,
        cron: bool = False,
        workers: int = 4,
        label: str = "site",
    ):
        self.install_plugin = install_plugin
        self.port = port or free_port()
        self.cron = cron
        self.workers = workers
        suffix = secrets.token_hex(4)
        self.config_name = f"cogvideox-test-{label}-{suffix}"
        self.db_name = f"cogvideox_wp_{label}_{suffix}".replace("-", "_")
        self.password = "pw-" + secrets.token_urlsafe(12)
        # WordPress connects with its own least-privilege account, like a real install.
        self.db_user = f"cvx_wp_{suffix}"
        self.db_password = secrets.token_hex(16)
        self._admin_cmd: list[str] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"cogvideox-wp-{label}-"))
        self.content_dir = self.tmp / "wp-content"
        self.log_path = self.tmp / "php-server.log"
        self.debug_log = self.tmp / "debug.log"
        self.config_path = WP_CONFIG_DIR / f"config-{self.config_name}.php"
        self._server: subprocess.Popen | None = None
        self._server_log = None

    # -- environment shared with PHP processes ------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            COGVIDEOX_WP_CONFIG=self.config_name,
            COGVIDEOX_WP_CONTENT_DIR=str(self.content_dir),
            COGVIDEOX_WP_URL=self.url,
            COGVIDEOX_WP_PASSWORD=self.password,
            COGVIDEOX_WP_DEBUG_LOG=str(self.debug_log),
        )
        return env

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> WordPressSite:
        try:
            self._purge_abandoned_sites()
            self._create_database()
            self._write_config()
            self._make_content_dir()
            self.php("install")
            if self.install_plugin:
                self.php("activate")
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            try:
                os.killpg(self._server.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._server.pid, signal.SIGKILL)
                self._server.wait()
            self._server = None
        if self._server_log is not None:
            self._server_log.close()
            self._server_log = None
        self.config_path.unlink(missing_ok=True)
        self._mysql(f"DROP DATABASE IF EXISTS `{self.db_name}`", check=False)
        for host in ("127.0.0.1", "localhost"):
            self._mysql(f"DROP USER IF EXISTS '{self.db_user}'@'{host}'", check=False)
        if os.environ.get("COGVIDEOX_WP_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> WordPressSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers -------------------------------------------------------------------------
    def php(self, *args: str, timeout: int = 60) -> str:
        """Run wp-setup.php with this site's environment."""
        proc = subprocess.run(
            ["php", str(HERE / "wp-setup.php"), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if proc.returncode != 0:
            raise RuntimeError(f"wp-setup.php {args[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def set_option(self, name: str, value: str) -> None:
        self.php("set-option", name, value)

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def read_debug_log(self) -> str:
        return self.debug_log.read_text(errors="replace") if self.debug_log.exists() else ""

    def _purge_abandoned_sites(self, older_than_hours: float = 6) -> None:
        """Remove what killed runs left behind (config file, database, account). Only old ones:
        other test runs may be using theirs right now."""
        cutoff = time.time() - older_than_hours * 3600
        for config in WP_CONFIG_DIR.glob("config-cogvideox-test-*.php"):
            try:
                if config.stat().st_mtime > cutoff:
                    continue
                text = config.read_text()
            except OSError:
                continue
            db = re.search(r"define\('DB_NAME', '(cogvideox_wp_[a-z0-9_]+)'\)", text)
            user = re.search(r"define\('DB_USER', '(cvx_wp_[a-z0-9_]+)'\)", text)
            if db:
                self._mysql(f"DROP DATABASE IF EXISTS `{db.group(1)}`", check=False)
            if user:
                for host in ("127.0.0.1", "localhost"):
                    self._mysql(f"DROP USER IF EXISTS '{user.group(1)}'@'{host}'", check=False)
            config.unlink(missing_ok=True)

    def _admin_command(self) -> list[str]:
        if self._admin_cmd is None:
            tcp = ["mysql", "-h", DB_HOST, "-P", str(DB_PORT), "-u", DB_ADMIN_USER]
            if DB_ADMIN_PASSWORD:
                tcp.append(f"-p{DB_ADMIN_PASSWORD}")
            socket_root = ["mysql", "-u", "root"]
            errors = []
            for candidate in (tcp, socket_root):
                probe = subprocess.run(candidate + ["-e", "SELECT 1"], capture_output=True, text=True, timeout=30)
                if probe.returncode == 0:
                    self._admin_cmd = candidate
                    break
                errors.append(probe.stderr.strip())
            else:
                raise RuntimeError("cannot reach MariaDB as an administrator: " + " | ".join(errors))
        return self._admin_cmd

    def _mysql(self, sql: str, check: bool = True) -> None:
        try:
            cmd = self._admin_command()
        except RuntimeError:
            if check:
                raise
            return
        proc = subprocess.run(cmd + ["-e", sql], capture_output=True, text=True, timeout=30)
        if check and proc.returncode != 0:
            raise RuntimeError(f"MariaDB refused {sql.split()[0]} ...: {proc.stderr.strip()}")

    def _create_database(self) -> None:
        self._mysql(f"DROP DATABASE IF EXISTS `{self.db_name}`")
        self._mysql(f"CREATE DATABASE `{self.db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        for host in ("127.0.0.1", "localhost"):
            self._mysql(f"CREATE OR REPLACE USER '{self.db_user}'@'{host}' IDENTIFIED BY '{self.db_password}'")
            self._mysql(f"GRANT ALL PRIVILEGES ON `{self.db_name}`.* TO '{self.db_user}'@'{host}'")

    def _write_config(self) -> None:
        salts = "\n".join(
            f"define('{key}', '{secrets.token_hex(32)}');"
            for key in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        config = f"""<?php
// Throwaway CogVideoX plugin test site; written by tests/wordpress/wp_site.py and removed after the run.
define('DB_NAME', '{self.db_name}');
define('DB_USER', '{self.db_user}');
define('DB_PASSWORD', '{self.db_password}');
define('DB_HOST', '{DB_HOST}:{DB_PORT}');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', '{self.url}');
define('WP_SITEURL', '{self.url}');
define('WP_CONTENT_DIR', '{self.content_dir}');
define('WP_CONTENT_URL', '{self.url}/wp-content');
define('FS_METHOD', 'direct');
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '{self.debug_log}');
define('WP_DEBUG_DISPLAY', false);
define('DISABLE_WP_CRON', {"false" if self.cron else "true"});
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_ACCESSIBLE_HOSTS', '');
{salts}
$table_prefix = 'wp_';
"""
        WP_CONFIG_DIR.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(config)
        self.config_path.chmod(0o640)

    def _make_content_dir(self) -> None:
        (self.content_dir / "plugins").mkdir(parents=True)
        (self.content_dir / "uploads").mkdir()
        (self.content_dir / "upgrade").mkdir()
        (self.content_dir / "themes").symlink_to(WP_ROOT / "wp-content" / "themes")
        (self.content_dir / "mu-plugins").mkdir()
        shutil.copy(HERE / "mu-plugins" / "cogvideox-test-classic-editor.php", self.content_dir / "mu-plugins")
        if self.install_plugin:
            shutil.copytree(PLUGIN_SRC, self.content_dir / "plugins" / "cogvideox")

    def _start_server(self) -> None:
        env = self.env
        env["PHP_CLI_SERVER_WORKERS"] = str(self.workers)
        self._server_log = open(self.log_path, "w")
        self._server = subprocess.Popen(
            [
                "php",
                "-d",
                "upload_max_filesize=64M",
                "-d",
                "post_max_size=64M",
                "-d",
                "memory_limit=512M",
                "-S",
                f"127.0.0.1:{self.port}",
                "-t",
                str(WP_ROOT),
                str(HERE / "router.php"),
            ],
            env=env,
            stdout=self._server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"php -S exited early:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/wp-login.php", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"WordPress did not answer on {self.url}:\n{self.server_log()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--no-plugin", action="store_true", help="do not pre-install the plugin")
    parser.add_argument("--cron", action="store_true", help="leave WP-Cron on")
    parser.add_argument("--zip", metavar="DIR", help="only build cogvideox.zip (the installable plugin) into DIR")
    parser.add_argument("--pot", action="store_true", help="only regenerate languages/cogvideox.pot (needs gettext)")
    args = parser.parse_args()
    if args.pot:
        print(make_pot())
        return
    if args.zip:
        dest = Path(args.zip)
        dest.mkdir(parents=True, exist_ok=True)
        print(build_plugin_zip(dest))
        return
    missing = missing_requirements()
    if missing:
        raise SystemExit("missing: " + ", ".join(missing))
    with WordPressSite(install_plugin=not args.no_plugin, port=args.port, cron=args.cron, label="manual") as site:
        print(f"WordPress at {site.url}/wp-admin/  user admin, password {site.password}")
        print(f"WORDPRESS_CONFIG={site.config_name} COGVIDEOX_WP_URL={site.url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
