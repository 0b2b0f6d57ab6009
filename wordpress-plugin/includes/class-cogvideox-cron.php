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
 * not imported yet) and hand what is done to a background import (CogVideoX_Background).
 * The minute event exists only while something is pending: the run that finds nothing left
 * unschedules it, and the next job schedules it again.
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
	 * Activation: poll only if jobs were left pending (a reactivated plugin).
	 */
	public static function activate() {
		add_filter( 'cron_schedules', array( __CLASS__, 'add_schedule' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected
		if ( self::posts_to_poll() ) {
			self::ensure_scheduled();
		}
	}

	/**
	 * Deactivation: stop polling.
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::HOOK );
		wp_unschedule_hook( CogVideoX_Background::START_HOOK );
		wp_unschedule_hook( CogVideoX_Background::IMPORT_HOOK );
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
				 LEFT JOIN {$wpdb->postmeta} i ON i.post_id = s.post_id AND i.meta_key = %s
				 WHERE s.meta_key = %s
				   AND ( s.meta_value IN ('queued', 'processing', 'requested')
				         OR ( s.meta_value = 'completed' AND ( a.meta_value IS NULL OR a.meta_value = '' ) AND ( i.meta_value IS NULL OR i.meta_value <> 'failed' ) ) )
				 ORDER BY s.meta_id DESC LIMIT %d",
				CogVideoX_Jobs::META_ATTACHMENT_ID,
				CogVideoX_Jobs::META_IMPORT_STATE,
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
			wp_clear_scheduled_hook( self::HOOK );
			return $results;
		}
		foreach ( self::posts_to_poll() as $post_id ) {
			$state               = CogVideoX_Jobs::sync( $post_id, 'cron' );
			$results[ $post_id ] = is_wp_error( $state ) ? $state->get_error_message() : $state['status'];
		}
		CogVideoX_Webhook::purge_seen();
		if ( ! self::posts_to_poll() ) {
			// Nothing pending: no reason to wake up every minute until the next job starts.
			wp_clear_scheduled_hook( self::HOOK );
		}
		return $results;
	}
}
