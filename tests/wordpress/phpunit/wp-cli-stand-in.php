<?php
/**
 * No registry reachable from here ships the wp-cli phar (Debian has no wp-cli package; the
 * PyPI and npm packages of that name are wrappers that download it), so the commands run
 * through this stand-in for the few WP_CLI methods they call. It records what WP-CLI would
 * print; error() throws, as WP-CLI's exits. Everything below it is the real plugin on the
 * real site and service.
 */

if ( class_exists( 'WP_CLI' ) ) {
	return;
}

/** What WP_CLI::error() ends a command with. */
class CogVideoX_Test_CLI_Exit extends RuntimeException {
}

/**
 * The WP_CLI methods the plugin uses.
 */
class WP_CLI {

	/** @var array<int, array{0:string,1:string}> (kind, text) */
	public static $output = array();

	/** @var array<string, string> */
	public static $commands = array();

	public static function add_command( $name, $callable ) {
		self::$commands[ $name ] = $callable;
		return true;
	}

	public static function log( $message ) {
		self::$output[] = array( 'log', (string) $message );
	}

	public static function line( $message = '' ) {
		self::$output[] = array( 'log', (string) $message );
	}

	public static function success( $message ) {
		self::$output[] = array( 'success', (string) $message );
	}

	public static function warning( $message ) {
		self::$output[] = array( 'warning', (string) $message );
	}

	public static function error( $message, $exit = true ) {
		self::$output[] = array( 'error', (string) $message );
		if ( $exit ) {
			throw new CogVideoX_Test_CLI_Exit( (string) $message );
		}
	}

	/** Everything printed, one line per message, "kind: text". */
	public static function transcript() {
		return implode(
			"\n",
			array_map(
				function ( $line ) {
					return $line[0] . ': ' . $line[1];
				},
				self::$output
			)
		);
	}
}
