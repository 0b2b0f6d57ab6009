<?php
/**
 * Background work as WP-Cron single events, one event per job: sending a saved request
 * ("generate when I save") and importing a finished video. Each is retried with backoff and
 * leaves its state on the post, so the editor, the posts list and the REST field can show it.
 *
 * Nothing here runs inside the request that noticed the work (a save, a webhook, a poll):
 * that request schedules the event and, unless DISABLE_WP_CRON says a system cron runs
 * wp-cron.php, asks WordPress to run due events in a loopback request now.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Single events with retries.
 */
class CogVideoX_Background {

	const START_HOOK  = 'cogvideox_start_job';
	const IMPORT_HOOK = 'cogvideox_import_video';

	/** Tries per job before it is given up (and shown as failed). */
	const MAX_ATTEMPTS = 5;

	/**
	 * Hook into WordPress.
	 */
	public function register_hooks() {
		add_action( self::START_HOOK, array( __CLASS__, 'run_start' ), 10, 1 );
		add_action( self::IMPORT_HOOK, array( __CLASS__, 'run_import' ), 10, 2 );
	}

	/**
	 * Seconds to wait before try number $attempt + 1: 1, 2, 4, 8 minutes... at most an hour.
	 *
	 * @param int $attempt Tries so far (1 or more).
	 * @return int
	 */
	public static function backoff( $attempt ) {
		return (int) min( HOUR_IN_SECONDS, MINUTE_IN_SECONDS * pow( 2, max( 0, (int) $attempt - 1 ) ) );
	}

	/**
	 * Schedule sending the post's saved request.
	 *
	 * @param int      $post_id Post id.
	 * @param int|null $when    Unix time (null: now).
	 */
	public static function schedule_start( $post_id, $when = null ) {
		$args = array( (int) $post_id );
		if ( null === $when && wp_next_scheduled( self::START_HOOK, $args ) ) {
			return;
		}
		wp_schedule_single_event( null === $when ? time() : (int) $when, self::START_HOOK, $args );
		if ( null === $when ) {
			self::kick();
		}
	}

	/**
	 * Event callback: send the saved request.
	 *
	 * @param int $post_id Post id.
	 */
	public static function run_start( $post_id ) {
		if ( CogVideoX_Settings::is_configured() ) {
			CogVideoX_Jobs::run_requested_start( (int) $post_id );
		}
	}

	/**
	 * Schedule the Media Library import of a finished job (once: an import already scheduled,
	 * running or retrying is left alone).
	 *
	 * @param int    $post_id Post id.
	 * @param string $task_id Task id.
	 * @param string $via     Who noticed the job finished: 'webhook', 'cron', 'editor', 'cli'.
	 */
	public static function queue_import( $post_id, $task_id, $via ) {
		$state = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, true );
		$args  = array( (int) $post_id, (string) $task_id );
		if ( in_array( $state, array( 'running', 'failed' ), true ) ) {
			return; // Under way, or given up (WP-CLI's import or a new job starts it again).
		}
		if ( in_array( $state, array( 'scheduled', 'retrying' ), true ) && wp_next_scheduled( self::IMPORT_HOOK, $args ) ) {
			if ( 'scheduled' === $state ) {
				self::kick();
			}
			return;
		}
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'scheduled' );
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_ATTEMPTS, 0 );
		update_post_meta( $post_id, CogVideoX_Jobs::META_NOTICED_VIA, sanitize_key( $via ) );
		delete_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_NEXT );
		if ( ! wp_next_scheduled( self::IMPORT_HOOK, $args ) ) {
			wp_schedule_single_event( time(), self::IMPORT_HOOK, $args );
		}
		self::kick();
	}

	/**
	 * Event callback: import one job's video and poster; on failure try again later.
	 *
	 * @param int    $post_id Post id.
	 * @param string $task_id Task id.
	 * @return int|WP_Error Attachment id, 0 when there was nothing (more) to do.
	 */
	public static function run_import( $post_id, $task_id ) {
		$post_id = (int) $post_id;
		$task_id = (string) $task_id;
		if ( (string) get_post_meta( $post_id, CogVideoX_Jobs::META_TASK_ID, true ) !== $task_id ) {
			return 0; // The post has moved on to another job.
		}
		if ( CogVideoX_Jobs::attachment_id( $post_id ) ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'done' );
			return 0;
		}
		$video_id = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_VIDEO_ID, true );
		$via      = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_NOTICED_VIA, true );
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'running' );
		$result = CogVideoX_Importer::import( $post_id, $task_id, $video_id, '' !== $via ? $via : 'cron' );
		if ( 0 === $result ) {
			// Another request holds the import lock: look again shortly, without counting a try.
			update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'scheduled' );
			wp_schedule_single_event( time() + 30, self::IMPORT_HOOK, array( $post_id, $task_id ) );
			return 0;
		}
		if ( ! is_wp_error( $result ) ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'done' );
			delete_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_NEXT );
			delete_post_meta( $post_id, CogVideoX_Jobs::META_ERROR );
			return $result;
		}
		$attempts = (int) get_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_ATTEMPTS, true ) + 1;
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_ATTEMPTS, $attempts );
		if ( $attempts >= self::MAX_ATTEMPTS ) {
			update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'failed' );
			delete_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_NEXT );
			update_post_meta(
				$post_id,
				CogVideoX_Jobs::META_ERROR,
				sanitize_text_field(
					/* translators: 1: number of tries, 2: error message */
					sprintf( __( 'The video could not be imported after %1$d tries: %2$s', 'cogvideox' ), $attempts, $result->get_error_message() )
				)
			);
			return $result;
		}
		$next = time() + self::backoff( $attempts );
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_STATE, 'retrying' );
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_NEXT, $next );
		update_post_meta( $post_id, CogVideoX_Jobs::META_ERROR, sanitize_text_field( $result->get_error_message() ) );
		wp_schedule_single_event( $next, self::IMPORT_HOOK, array( $post_id, $task_id ) );
		return $result;
	}

	/**
	 * Import a failed or retrying job again right away (WP-CLI's import, an editor's retry).
	 *
	 * @param int $post_id Post id.
	 * @return int|WP_Error Attachment id.
	 */
	public static function import_now( $post_id ) {
		$task_id = (string) get_post_meta( $post_id, CogVideoX_Jobs::META_TASK_ID, true );
		if ( '' === $task_id || 'completed' !== (string) get_post_meta( $post_id, CogVideoX_Jobs::META_STATUS, true ) ) {
			return new WP_Error( 'cogvideox_not_completed', __( 'This post has no finished video to import.', 'cogvideox' ) );
		}
		$existing = CogVideoX_Jobs::attachment_id( $post_id );
		if ( $existing ) {
			return $existing;
		}
		wp_clear_scheduled_hook( self::IMPORT_HOOK, array( (int) $post_id, $task_id ) );
		update_post_meta( $post_id, CogVideoX_Jobs::META_IMPORT_ATTEMPTS, 0 );
		$deadline = time() + CogVideoX_API_Client::DOWNLOAD_TIMEOUT;
		do {
			$result = self::run_import( $post_id, $task_id );
			if ( 0 !== $result ) {
				return $result;
			}
			// Another process holds the import lock: wait for its result.
			wp_clear_scheduled_hook( self::IMPORT_HOOK, array( (int) $post_id, $task_id ) );
			wp_cache_delete( $post_id, 'post_meta' );
			$existing = CogVideoX_Jobs::attachment_id( $post_id );
			if ( $existing ) {
				return $existing;
			}
			sleep( 1 );
		} while ( time() < $deadline );
		return new WP_Error( 'cogvideox_import_busy', __( 'Another process is still importing this video.', 'cogvideox' ) );
	}

	/**
	 * Have due events run soon: a loopback request to wp-cron.php, as WordPress does on page
	 * loads. Not when DISABLE_WP_CRON says a system cron runs wp-cron.php, nor from inside it.
	 */
	public static function kick() {
		if ( ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) || wp_doing_cron() || ( defined( 'WP_CLI' ) && WP_CLI ) ) {
			return;
		}
		spawn_cron();
	}
}
