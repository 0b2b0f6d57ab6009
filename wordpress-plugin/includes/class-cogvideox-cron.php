<?php
/**
 * WP-Cron polling: the path for sites the service cannot reach with a webhook.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Every minute, ask the service about the posts whose job is still pending (or finished but
 * not imported yet) and import what is done.
 */
class CogVideoX_Cron {

	const HOOK     = 'cogvideox_poll';
	const SCHEDULE = 'cogvideox_every_minute';

	/** Posts checked per run, so one run stays short. */
	const BATCH = 20;

	/**
	 * Hook into WordPress.
	 */
	public function register_hooks() {
		add_filter( 'cron_schedules', array( __CLASS__, 'add_schedule' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected
		add_action( self::HOOK, array( __CLASS__, 'run' ) );
	}

	/**
	 * A one-minute schedule.
	 *
	 * @param array $schedules Schedules.
	 * @return array
	 */
	public static function add_schedule( $schedules ) {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => MINUTE_IN_SECONDS,
			'display'  => __( 'Every minute (CogVideoX)', 'cogvideox' ),
		);
		return $schedules;
	}

	/**
	 * Activation: start polling.
	 */
	public static function activate() {
		add_filter( 'cron_schedules', array( __CLASS__, 'add_schedule' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected
		self::ensure_scheduled();
	}

	/**
	 * Deactivation: stop polling.
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::HOOK );
	}

	/**
	 * Schedule the poll if it is not (called whenever a job starts).
	 */
	public static function ensure_scheduled() {
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + 30, self::SCHEDULE, self::HOOK );
		}
	}

	/**
	 * Posts that need a look: pending jobs, and completed ones not imported yet.
	 *
	 * @return int[]
	 */
	public static function posts_to_poll() {
		global $wpdb;
		// Direct query: auto-drafts (new posts) must be included, and the result must not be cached.
		$ids = $wpdb->get_col( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->prepare(
				"SELECT s.post_id FROM {$wpdb->postmeta} s
				 LEFT JOIN {$wpdb->postmeta} a ON a.post_id = s.post_id AND a.meta_key = %s
				 WHERE s.meta_key = %s
				   AND ( s.meta_value IN ('queued', 'processing') OR ( s.meta_value = 'completed' AND ( a.meta_value IS NULL OR a.meta_value = '' ) ) )
				 ORDER BY s.meta_id DESC LIMIT %d",
				CogVideoX_Jobs::META_ATTACHMENT_ID,
				CogVideoX_Jobs::META_STATUS,
				self::BATCH
			)
		);
		return array_map( 'intval', $ids );
	}

	/**
	 * One polling run.
	 *
	 * @return array<int, string> Post id => status after the run (or the error message).
	 */
	public static function run() {
		$results = array();
		if ( ! CogVideoX_Settings::is_configured() ) {
			return $results;
		}
		foreach ( self::posts_to_poll() as $post_id ) {
			$state               = CogVideoX_Jobs::sync( $post_id, 'cron' );
			$results[ $post_id ] = is_wp_error( $state ) ? $state->get_error_message() : $state['status'];
		}
		CogVideoX_Webhook::purge_seen();
		return $results;
	}
}
