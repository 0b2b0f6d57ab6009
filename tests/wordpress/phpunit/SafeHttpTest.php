<?php
/**
 * WordPress refuses wp_safe_remote_* requests to loopback/private hosts and odd ports. The
 * plugin lifts that for its own downloads, for the configured API host and port only.
 */
class SafeHttpTest extends CogVideoXTestCase {

	public function test_only_the_configured_api_host_and_port_are_allowed_and_only_while_downloading() {
		$client = new CogVideoX_API_Client( 'http://localhost:7861', 'token' );

		$this->assertFalse( wp_http_validate_url( 'http://localhost:7861/api/download/x' ), 'WordPress blocks loopback by default' );

		$client->allow_api_host();
		try {
			$this->assertNotFalse( wp_http_validate_url( 'http://localhost:7861/api/download/x' ) );
			$this->assertFalse( wp_http_validate_url( 'http://localhost:7862/api/download/x' ), 'another port on that host' );
			$this->assertFalse( wp_http_validate_url( 'http://10.1.2.3:7861/' ), 'another private host' );
			$this->assertFalse( wp_http_validate_url( 'http://192.168.1.1/' ) );
		} finally {
			$client->disallow_api_host();
		}
		$this->assertFalse( wp_http_validate_url( 'http://localhost:7861/api/download/x' ), 'the exception ends with the download' );
	}

	public function test_download_goes_through_wp_safe_remote_get_and_reports_service_errors() {
		$client = CogVideoX_API_Client::from_settings();
		$result = $client->download_to_temp( '00000000-0000-0000-0000-000000000000' );
		$this->assertInstanceOf( 'WP_Error', $result );
		$this->assertSame( 404, $result->get_error_data()['http_status'] );
		$this->assertStringNotContainsString( self::api_token(), $result->get_error_message() );
	}

	public function test_unknown_job_stops_being_polled() {
		$post = $this->new_post( 'author1' );
		update_post_meta( $post, '_cogvideox_task_id', '00000000-0000-0000-0000-000000000000' );
		update_post_meta( $post, '_cogvideox_status', 'processing' );
		$state = CogVideoX_Jobs::sync( $post, 'cron' );
		$this->assertSame( 'failed', $state['status'] );
		$this->assertStringContainsString( 'no longer knows this job', $state['error'] );
		$this->assertNotContains( $post, CogVideoX_Cron::posts_to_poll() );
	}

	public function test_unreachable_service_does_not_slow_every_editor_page() {
		$this->configure( 'http://127.0.0.1:9', self::api_token(), '' );
		$client = CogVideoX_API_Client::from_settings();
		$this->assertInstanceOf( 'WP_Error', $client->cached_templates() );
		$this->assertNotFalse( get_transient( 'cogvideox_templates_error' ), 'the failure is remembered' );
		// A changed URL is a new start: what was remembered about the old one is dropped.
		$this->configure( self::api_url(), self::api_token(), '' );
		$this->assertFalse( get_transient( 'cogvideox_templates_error' ) );
		// While it is remembered, the failure answers without a request (this service works).
		set_transient( 'cogvideox_templates_error', 'remembered failure', MINUTE_IN_SECONDS );
		$start  = microtime( true );
		$answer = CogVideoX_API_Client::from_settings()->cached_templates();
		$this->assertLessThan( 0.05, microtime( true ) - $start );
		$this->assertInstanceOf( 'WP_Error', $answer );
		$this->assertSame( 'remembered failure', $answer->get_error_message() );
		delete_transient( 'cogvideox_templates_error' );
	}
}
