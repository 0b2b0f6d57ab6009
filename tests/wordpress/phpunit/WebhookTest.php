<?php
/**
 * The webhook receiver over real HTTP: Standard Webhooks signatures accepted, wrong ones,
 * stale timestamps and replays refused.
 */
class WebhookTest extends CogVideoXTestCase {

	const PATH = '/wp-json/cogvideox/v1/webhook';

	/** @var string */
	private $secret;

	/** @var int */
	private $post;

	/** @var string */
	private $task;

	protected function setUp(): void {
		parent::setUp();
		$this->secret = 'whsec_' . base64_encode( random_bytes( 24 ) );
		$this->configure( self::api_url(), self::api_token(), $this->secret );
		$this->post = $this->new_post( 'author1' );
		$this->task = 'task-' . wp_generate_uuid4();
		update_post_meta( $this->post, '_cogvideox_task_id', $this->task );
		update_post_meta( $this->post, '_cogvideox_status', 'queued' );
		update_post_meta( $this->post, '_cogvideox_progress', 0 );
	}

	private function event( $status, $progress, array $extra = array() ) {
		return wp_json_encode(
			array(
				'type'      => 'video.' . $status,
				'timestamp' => gmdate( 'c' ),
				'data'      => array_merge(
					array(
						'task_id'  => $this->task,
						'status'   => $status,
						'progress' => $progress,
					),
					$extra
				),
			)
		);
	}

	private function deliver( $body, array $headers ) {
		$response = $this->http( 'POST', self::PATH, $headers, $body );
		return array(
			'code' => (int) wp_remote_retrieve_response_code( $response ),
			'body' => json_decode( wp_remote_retrieve_body( $response ), true ),
		);
	}

	public function test_valid_signature_is_accepted_and_applied() {
		$body   = $this->event( 'processing', 40 );
		$answer = $this->deliver( $body, $this->signed_headers( $this->secret, $body ) );
		$this->assertSame( 200, $answer['code'], wp_json_encode( $answer['body'] ) );
		$this->assertTrue( $answer['body']['received'] );
		$this->assertSame( $this->post, $answer['body']['post_id'] );
		$this->assertSame( 'processing', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
		$this->assertSame( '40', (string) $this->fresh_meta( $this->post, '_cogvideox_progress' ) );
	}

	public function test_failed_event_records_the_error() {
		$body   = $this->event( 'failed', 10, array( 'error' => 'CUDA out of memory <b>twice</b>' ) );
		$answer = $this->deliver( $body, $this->signed_headers( $this->secret, $body ) );
		$this->assertSame( 200, $answer['code'] );
		$this->assertSame( 'failed', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
		$this->assertSame( 'CUDA out of memory twice', $this->fresh_meta( $this->post, '_cogvideox_error' ), 'error text is sanitized' );
	}

	public function test_wrong_secret_is_rejected() {
		$body   = $this->event( 'processing', 40 );
		$answer = $this->deliver( $body, $this->signed_headers( 'whsec_' . base64_encode( 'some other secret' ), $body ) );
		$this->assertSame( 401, $answer['code'] );
		$this->assertSame( 'queued', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
	}

	public function test_tampered_body_is_rejected() {
		$body    = $this->event( 'processing', 40 );
		$headers = $this->signed_headers( $this->secret, $body );
		$answer  = $this->deliver( $this->event( 'processing', 99 ), $headers );
		$this->assertSame( 401, $answer['code'] );
		$this->assertSame( '0', (string) $this->fresh_meta( $this->post, '_cogvideox_progress' ) );
	}

	public function test_stale_and_future_timestamps_are_rejected() {
		$body = $this->event( 'processing', 40 );
		foreach ( array( time() - 3600, time() + 3600 ) as $when ) {
			$answer = $this->deliver( $body, $this->signed_headers( $this->secret, $body, null, $when ) );
			$this->assertSame( 401, $answer['code'] );
		}
		$this->assertSame( 'queued', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
		// Inside the tolerance window is fine.
		$answer = $this->deliver( $body, $this->signed_headers( $this->secret, $body, null, time() - 60 ) );
		$this->assertSame( 200, $answer['code'] );
	}

	public function test_missing_headers_are_rejected() {
		$body    = $this->event( 'processing', 40 );
		$headers = $this->signed_headers( $this->secret, $body );
		unset( $headers['webhook-signature'] );
		$this->assertSame( 400, $this->deliver( $body, $headers )['code'] );
		$this->assertSame( 'queued', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
	}

	public function test_replayed_message_is_not_processed_twice() {
		$body    = $this->event( 'processing', 40 );
		$headers = $this->signed_headers( $this->secret, $body );
		$this->assertSame( 200, $this->deliver( $body, $headers )['code'] );
		$this->assertSame( '40', (string) $this->fresh_meta( $this->post, '_cogvideox_progress' ) );

		// Reset the state, then replay the identical, validly signed message.
		update_post_meta( $this->post, '_cogvideox_progress', 0 );
		$answer = $this->deliver( $body, $headers );
		$this->assertSame( 200, $answer['code'], 'a duplicate is acknowledged so the sender stops retrying' );
		$this->assertTrue( $answer['body']['duplicate'] );
		$this->assertSame( '0', (string) $this->fresh_meta( $this->post, '_cogvideox_progress' ), 'but not applied again' );
	}

	public function test_any_valid_signature_in_the_list_is_enough() {
		$body       = $this->event( 'processing', 55 );
		$headers    = $this->signed_headers( $this->secret, $body );
		$headers['webhook-signature'] = 'v1,bm90IHRoZSByaWdodCBvbmU= ' . $headers['webhook-signature'];
		$this->assertSame( 200, $this->deliver( $body, $headers )['code'] );
		$this->assertSame( '55', (string) $this->fresh_meta( $this->post, '_cogvideox_progress' ) );
	}

	public function test_without_a_configured_secret_nothing_is_accepted() {
		$this->configure( self::api_url(), self::api_token(), '' );
		$body   = $this->event( 'processing', 40 );
		$answer = $this->deliver( $body, $this->signed_headers( '', $body ) );
		$this->assertSame( 401, $answer['code'] );
		$this->assertSame( 'queued', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
	}

	public function test_terminal_state_is_not_moved_back_by_late_news() {
		$body = $this->event( 'canceled', 20 );
		$this->assertSame( 200, $this->deliver( $body, $this->signed_headers( $this->secret, $body ) )['code'] );
		$late = $this->event( 'processing', 30 );
		$this->assertSame( 200, $this->deliver( $late, $this->signed_headers( $this->secret, $late ) )['code'] );
		$this->assertSame( 'canceled', $this->fresh_meta( $this->post, '_cogvideox_status' ) );
	}

	public function test_unknown_tasks_are_acknowledged_and_ignored() {
		$body   = wp_json_encode( array( 'type' => 'video.completed', 'data' => array( 'task_id' => 'nope', 'status' => 'completed', 'video_id' => 'x' ) ) );
		$answer = $this->deliver( $body, $this->signed_headers( $this->secret, $body ) );
		$this->assertSame( 200, $answer['code'] );
		$this->assertSame( 'unknown task', $answer['body']['ignored'] );
	}

	public function test_signature_helper_matches_the_standard_webhooks_example() {
		// Test vector from the Standard Webhooks specification's reference libraries.
		$secret    = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
		$id        = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
		$timestamp = '1614265330';
		$body      = '{"test": 2432232314}';
		$this->assertSame( 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', CogVideoX_Webhook::sign( $id, $timestamp, $body, $secret ) );
		$this->assertTrue( CogVideoX_Webhook::verify( $id, $timestamp, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', $body, $secret, 1614265330 ) );
		$this->assertInstanceOf( 'WP_Error', CogVideoX_Webhook::verify( $id, $timestamp, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', $body, $secret, 1614265330 + 301 ) );
	}
}
