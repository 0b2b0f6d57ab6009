<?php
/**
 * Settings -> CogVideoX: sanitizing, the write-only token, the constant override, the page
 * (over real HTTP as a logged-in admin) and Test connection against the live service.
 */
class SettingsTest extends CogVideoXTestCase {

	public function test_api_url_is_normalised_and_unsafe_urls_are_refused() {
		update_option( 'cogvideox_api_url', 'http://service.example:7860' );
		$this->assertSame( 'http://127.0.0.1:7860', CogVideoX_Settings::sanitize_api_url( ' http://127.0.0.1:7860/ ' ) );
		$this->assertSame( 'https://video.example.org/base', CogVideoX_Settings::sanitize_api_url( 'https://video.example.org/base/' ) );
		$this->assertSame( '', CogVideoX_Settings::sanitize_api_url( '' ) );
		// Refused input keeps the saved value instead of storing junk.
		$this->assertSame( 'http://service.example:7860', CogVideoX_Settings::sanitize_api_url( 'javascript:alert(1)' ) );
		$this->assertSame( 'http://service.example:7860', CogVideoX_Settings::sanitize_api_url( 'ftp://files.example.org' ) );
		$this->assertSame( 'http://service.example:7860', CogVideoX_Settings::sanitize_api_url( 'http://user:pass@evil.example' ) );
		$this->assertSame( 'http://video.example/x', CogVideoX_Settings::sanitize_api_url( 'http://video.example/x?token=1#frag' ) );
	}

	public function test_token_field_is_write_only() {
		update_option( 'cogvideox_api_token', 'saved-secret-token' );
		// Empty submission keeps the saved token.
		$this->assertSame( 'saved-secret-token', CogVideoX_Settings::sanitize_api_token( '' ) );
		// A new one replaces it, with whitespace and control characters stripped.
		$this->assertSame( 'new-token', CogVideoX_Settings::sanitize_api_token( " new-token\n" ) );
		// "Remove the saved token" clears it.
		$_POST['cogvideox_api_token_clear'] = '1';
		$this->assertSame( '', CogVideoX_Settings::sanitize_api_token( '' ) );
	}

	public function test_defaults_are_clamped_to_what_the_service_accepts() {
		$clean = CogVideoX_Settings::sanitize_defaults(
			array(
				'duration'        => '99',
				'resolution'      => ' 720X480 ',
				'enhance_quality' => '',
				'template'        => 'Product <b>Shot</b>',
			)
		);
		$this->assertSame( CogVideoX_Settings::max_duration(), $clean['duration'] );
		$this->assertSame( 6, CogVideoX_Settings::max_duration(), 'the service\'s limit for CogVideoX-2b (tiny-random has its numbers)' );
		$this->assertSame( '720x480', $clean['resolution'] );
		$this->assertFalse( $clean['enhance_quality'] );
		$this->assertSame( 'product-shot', $clean['template'] );

		$this->assertSame( 1, CogVideoX_Settings::sanitize_duration( '-3' ) );
		$this->assertSame( 4, CogVideoX_Settings::sanitize_duration( 'four' ) );
		$this->assertSame( 2, CogVideoX_Settings::sanitize_duration( '2' ) );
		$this->assertSame( '', CogVideoX_Settings::sanitize_resolution( '721x480' ), 'not a multiple of 16' );
		$this->assertSame( '', CogVideoX_Settings::sanitize_resolution( '720x480; DROP TABLE' ) );
		$this->assertSame( '64x64', CogVideoX_Settings::sanitize_resolution( '64x64' ) );
	}

	public function test_settings_form_goes_through_register_setting_sanitizers() {
		update_option( 'cogvideox_api_token', 'kept-token-value' );
		// What options.php does with a submitted form: update_option() runs the registered sanitizers.
		update_option( 'cogvideox_api_url', 'http://127.0.0.1:9999///' );
		update_option( 'cogvideox_api_token', '' );
		update_option( 'cogvideox_defaults', array( 'duration' => '0', 'resolution' => 'huge' ) );
		$this->assertSame( 'http://127.0.0.1:9999', get_option( 'cogvideox_api_url' ) );
		$this->assertSame( 'kept-token-value', get_option( 'cogvideox_api_token' ) );
		$defaults = get_option( 'cogvideox_defaults' );
		$this->assertSame( 1, $defaults['duration'] );
		$this->assertNotSame( 'huge', $defaults['resolution'] );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_constant_overrides_the_saved_token() {
		update_option( 'cogvideox_api_token', 'token-from-database' );
		define( 'COGVIDEOX_API_TOKEN', 'token-from-wp-config' );
		$this->assertSame( 'token-from-wp-config', CogVideoX_Settings::api_token() );
		$this->assertTrue( CogVideoX_Settings::token_from_constant() );
		$this->login( 'admin' );
		ob_start();
		cogvideox()->settings->render_api_token();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'COGVIDEOX_API_TOKEN', $html );
		$this->assertStringNotContainsString( 'token-from-wp-config', $html );
		$this->assertStringNotContainsString( 'token-from-database', $html );
	}

	public function test_settings_page_never_prints_the_token() {
		$this->configure( self::api_url(), self::api_token(), 'whsec_' . base64_encode( 'page-secret-bytes' ) );
		$session  = $this->session_cookies( 'admin' );
		$response = $this->http( 'GET', '/wp-admin/options-general.php?page=cogvideox', array( 'Cookie' => $session['cookie'] ) );
		$html     = wp_remote_retrieve_body( $response );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ) );
		$this->assertStringContainsString( 'id="cogvideox_api_token"', $html );
		$this->assertMatchesRegularExpression( '/<input type="password"[^>]*id="cogvideox_api_token"[^>]*value=""/', $html );
		$this->assertStringContainsString( 'Test connection', $html );
		$this->assertStringContainsString( esc_attr( self::api_url() ), $html );
		$this->assertStringNotContainsString( self::api_token(), $html, 'the token never appears in the page' );
		$this->assertStringNotContainsString( base64_encode( 'page-secret-bytes' ), $html, 'nor does the webhook secret' );

		// Editors cannot open the page.
		$editor   = $this->session_cookies( 'editor1' );
		$response = $this->http( 'GET', '/wp-admin/options-general.php?page=cogvideox', array( 'Cookie' => $editor['cookie'] ) );
		$this->assertNotSame( 200, wp_remote_retrieve_response_code( $response ) );
	}

	public function test_test_connection_reports_model_device_and_queue_depth() {
		$this->login( 'admin' );
		// The service names its device once a worker has started; give it that long.
		$data = $this->wait_for(
			function () {
				$response = $this->rest( 'POST', '/test-connection' );
				$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
				$data = $response->get_data();
				return '' !== $data['device'] ? $data : false;
			},
			90,
			'the service to report its device'
		);
		$this->assertTrue( $data['ok'] );
		$this->assertNotSame( '', $data['model'] );
		$this->assertNotSame( '', $data['device'] );
		$this->assertIsInt( $data['queue_depth'] );
		$this->assertGreaterThanOrEqual( 1, $data['workers'], 'the live service has a worker' );
	}

	public function test_test_connection_with_a_bad_token_gives_a_readable_error_without_the_token() {
		$this->configure( self::api_url(), 'wrong-token-0123456789', '' );
		$this->login( 'admin' );
		$response = $this->rest( 'POST', '/test-connection' );
		$this->assertSame( 502, $response->get_status() );
		$message = $response->as_error()->get_error_message();
		$this->assertStringContainsString( 'token', strtolower( $message ) );
		$this->assertStringNotContainsString( 'wrong-token-0123456789', wp_json_encode( $response->get_data() ) );
	}

	public function test_test_connection_to_nothing_says_where_it_tried() {
		$this->configure( 'http://127.0.0.1:9', self::api_token(), '' );
		$this->login( 'admin' );
		$response = $this->rest( 'POST', '/test-connection' );
		$this->assertSame( 502, $response->get_status() );
		$this->assertStringContainsString( 'http://127.0.0.1:9', $response->as_error()->get_error_message() );
		$this->assertStringNotContainsString( self::api_token(), wp_json_encode( $response->get_data() ) );
	}

	public function test_only_admins_may_test_the_connection() {
		$this->login( 'editor1' );
		$this->assertSame( 403, $this->rest( 'POST', '/test-connection' )->get_status() );
		$this->login( '' );
		$this->assertSame( 401, $this->rest( 'POST', '/test-connection' )->get_status() );
	}
}
