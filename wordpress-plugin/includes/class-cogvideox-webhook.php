<?php
/**
 * Receiver for the service's signed webhooks (Standard Webhooks format):
 *   webhook-id, webhook-timestamp, webhook-signature: "v1,<base64 HMAC-SHA256 of id.timestamp.body>".
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Signature checks, replay protection and dispatch of webhook events.
 */
class CogVideoX_Webhook {

	/** Seconds a message's timestamp may differ from our clock. */
	const TOLERANCE = 300;

	/** Option-name prefix recording processed message ids. */
	const SEEN_PREFIX = '_cogvideox_whid_';

	/** How long processed ids are remembered (well past TOLERANCE). */
	const SEEN_TTL = DAY_IN_SECONDS;

	/**
	 * Check a message's signature and timestamp.
	 *
	 * @param string   $id        webhook-id header.
	 * @param string   $timestamp webhook-timestamp header (Unix seconds).
	 * @param string   $signature webhook-signature header (space-separated "v1,<sig>" list).
	 * @param string   $body      Raw request body.
	 * @param string   $secret    Shared secret ("whsec_<base64>" or a plain string).
	 * @param int|null $now       Current time (tests).
	 * @return true|WP_Error
	 */
	public static function verify( $id, $timestamp, $signature, $body, $secret, $now = null ) {
		$now = null === $now ? time() : (int) $now;
		if ( '' === (string) $secret ) {
			return new WP_Error( 'cogvideox_webhook_not_configured', __( 'No webhook secret is configured on this site.', 'cogvideox' ), array( 'status' => 401 ) );
		}
		if ( '' === (string) $id || '' === (string) $timestamp || '' === (string) $signature ) {
			return new WP_Error( 'cogvideox_webhook_headers', __( 'Missing webhook-id, webhook-timestamp or webhook-signature header.', 'cogvideox' ), array( 'status' => 400 ) );
		}
		if ( ! preg_match( '/^\d{1,12}$/', (string) $timestamp ) ) {
			return new WP_Error( 'cogvideox_webhook_timestamp', __( 'Invalid webhook timestamp.', 'cogvideox' ), array( 'status' => 400 ) );
		}
		if ( abs( $now - (int) $timestamp ) > self::TOLERANCE ) {
			return new WP_Error( 'cogvideox_webhook_timestamp', __( 'Webhook timestamp is outside the allowed window.', 'cogvideox' ), array( 'status' => 401 ) );
		}
		$expected = self::sign( $id, $timestamp, $body, $secret );
		foreach ( preg_split( '/\s+/', trim( (string) $signature ) ) as $candidate ) {
			$parts = explode( ',', $candidate, 2 );
			if ( 2 === count( $parts ) && 'v1' === $parts[0] && hash_equals( $expected, $parts[1] ) ) {
				return true;
			}
		}
		return new WP_Error( 'cogvideox_webhook_signature', __( 'Invalid webhook signature.', 'cogvideox' ), array( 'status' => 401 ) );
	}

	/**
	 * The base64 signature of a message.
	 *
	 * @param string $id        Message id.
	 * @param string $timestamp Timestamp.
	 * @param string $body      Raw body.
	 * @param string $secret    Secret.
	 * @return string
	 */
	public static function sign( $id, $timestamp, $body, $secret ) {
		return base64_encode( hash_hmac( 'sha256', $id . '.' . $timestamp . '.' . $body, self::secret_bytes( $secret ), true ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}

	/**
	 * Standard Webhooks secrets are "whsec_" + base64 key bytes; anything else is used as is.
	 *
	 * @param string $secret Secret.
	 * @return string
	 */
	public static function secret_bytes( $secret ) {
		$secret = (string) $secret;
		if ( 0 === strpos( $secret, 'whsec_' ) ) {
			$decoded = base64_decode( substr( $secret, 6 ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
			if ( false !== $decoded && '' !== $decoded ) {
				return $decoded;
			}
		}
		return $secret;
	}

	/**
	 * Claim a message id; false when it was already processed (a replay or a duplicate).
	 *
	 * @param string $id Message id.
	 * @return bool
	 */
	public static function claim( $id ) {
		return CogVideoX_Importer::acquire_lock( self::SEEN_PREFIX . md5( (string) $id ), self::SEEN_TTL );
	}

	/**
	 * Give a claim back (processing failed, so a retry must be accepted).
	 *
	 * @param string $id Message id.
	 */
	public static function unclaim( $id ) {
		CogVideoX_Importer::release_lock( self::SEEN_PREFIX . md5( (string) $id ) );
	}

	/**
	 * Forget ids older than SEEN_TTL (their timestamps are long outside the window).
	 */
	public static function purge_seen() {
		global $wpdb;
		$wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$wpdb->prepare(
				"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND option_value < %d",
				$wpdb->esc_like( self::SEEN_PREFIX ) . '%',
				time() - self::SEEN_TTL
			)
		);
	}

	/**
	 * REST callback: POST /wp-json/cogvideox/v1/webhook.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function handle( WP_REST_Request $request ) {
		$id        = (string) $request->get_header( 'webhook-id' );
		$timestamp = (string) $request->get_header( 'webhook-timestamp' );
		$signature = (string) $request->get_header( 'webhook-signature' );
		$body      = (string) $request->get_body();

		$verified = self::verify( $id, $timestamp, $signature, $body, CogVideoX_Settings::webhook_secret() );
		if ( is_wp_error( $verified ) ) {
			return $verified;
		}
		$payload = json_decode( $body, true );
		if ( ! is_array( $payload ) ) {
			return new WP_Error( 'cogvideox_webhook_body', __( 'The webhook body is not a JSON object.', 'cogvideox' ), array( 'status' => 400 ) );
		}
		if ( ! self::claim( $id ) ) {
			// Already processed: answer 2xx so the sender stops, and do nothing.
			return new WP_REST_Response(
				array(
					'received'  => true,
					'duplicate' => true,
				),
				200
			);
		}

		// The import may outlive the sender's patience; finish it even if the sender hangs up.
		ignore_user_abort( true );
		$data    = isset( $payload['data'] ) && is_array( $payload['data'] ) ? $payload['data'] : $payload;
		$task_id = isset( $data['task_id'] ) ? sanitize_text_field( (string) $data['task_id'] ) : '';
		$post_id = CogVideoX_Jobs::find_post_by_task( $task_id );
		if ( ! $post_id ) {
			return new WP_REST_Response(
				array(
					'received' => true,
					'ignored'  => 'unknown task',
				),
				200
			);
		}

		$result = CogVideoX_Jobs::apply_status( $post_id, $data, 'webhook' );
		if ( is_wp_error( $result ) ) {
			// Let the sender retry this message later.
			self::unclaim( $id );
			return new WP_Error( 'cogvideox_webhook_processing', $result->get_error_message(), array( 'status' => 500 ) );
		}
		return new WP_REST_Response(
			array(
				'received' => true,
				'post_id'  => (int) $post_id,
				'status'   => $result['status'],
			),
			200
		);
	}
}
