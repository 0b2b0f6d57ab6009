<?php
/**
 * What the service accepts comes from the service (GET /api/system/status's model section,
 * cached in a transient); its refusals reach the editor in its own words. Secrets are not
 * autoloaded; a token over plain http to another machine is warned about.
 */
class ServiceLimitsTest extends CogVideoXTestCase {

	public function test_limits_come_from_the_service_and_are_cached() {
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
		$limits = CogVideoX_Settings::limits();
		$this->assertContains( $limits['source'], array( 'models', 'status' ) );
		$this->assertSame( $limits, get_transient( CogVideoX_API_Client::LIMITS_TRANSIENT ), 'cached' );

		// Both of the service's answers read the same, whichever this service has.
		$status      = $this->service( 'GET', '/api/system/status' );
		$from_status = CogVideoX_API_Client::limits_from_status( $status['body'] );
		$this->assertNotNull( $from_status );
		$this->assertSame( $status['body']['model']['max_duration'], $from_status['max_duration'] );
		$this->assertSame( $status['body']['model']['native_resolution'], $from_status['native_resolution'] );
		$models = $this->service( 'GET', '/api/models' );
		if ( 200 === $models['code'] ) {
			$this->assertSame( 'models', $limits['source'], 'the model listing is preferred' );
			$from_models = CogVideoX_API_Client::limits_from_models( $models['body'] );
			foreach ( array( 'max_duration', 'min_side', 'max_side', 'size_multiple', 'max_pixels', 'native_resolution', 'model' ) as $key ) {
				$this->assertSame( $from_status[ $key ], $from_models[ $key ], $key );
			}
		} else {
			$this->assertSame( 404, $models['code'] );
			$this->assertSame( 'status', $limits['source'] );
		}
		$this->assertSame( $from_status['max_duration'], $limits['max_duration'] );
		$this->assertSame( $from_status['max_side'], $limits['max_side'] );

		// Duration 8 is beyond CogVideoX-2b's 6 s: refused before reaching the service, with its number.
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'prompt' => 'x', 'duration' => $limits['max_duration'] + 2 ) );
		$this->assertSame( 400, $response->get_status() );
		$this->assertStringContainsString( 'from 1 to ' . $limits['max_duration'], $response->as_error()->get_error_message() );
		$this->assertSame( $limits['max_duration'], CogVideoX_Settings::sanitize_duration( 10 ), 'settings clamp to the service\'s limit' );
		$this->assertSame( '', CogVideoX_Settings::sanitize_resolution( ( $limits['max_side'] + 16 ) . 'x64' ) );
		$this->assertSame( '64x64', CogVideoX_Settings::sanitize_resolution( '64x64' ) );

		// The meta box and the settings page offer only what the service accepts.
		ob_start();
		cogvideox()->render_meta_box( get_post( $post ) );
		$this->assertStringContainsString( 'max="' . $limits['max_duration'] . '"', ob_get_clean() );
		$this->assertSame( $limits, $this->rest( 'GET', '/limits' )->get_data() );

		// Another service: the cache is dropped.
		update_option( 'cogvideox_api_url', 'http://127.0.0.1:9' );
		$this->assertFalse( get_transient( CogVideoX_API_Client::LIMITS_TRANSIENT ) );
		$this->assertSame( 'fallback', CogVideoX_Settings::limits()['source'], 'unreachable: CogVideoX-2b\'s numbers meanwhile' );
		$this->configure( self::api_url(), self::api_token(), '' );
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
	}

	public function test_a_refusal_reaches_the_editor_in_the_services_own_words() {
		$post = $this->new_post( 'author1' );
		$this->login( 'author1' );
		$body = array( 'template' => 'no-such-template-' . wp_rand(), 'prompt' => 'x' );
		$direct = $this->service( 'POST', '/api/generate', $body );
		$this->assertSame( 400, $direct['code'] );
		$response = $this->rest( 'POST', "/posts/$post/generate", $body );
		$this->assertSame( 400, $response->get_status() );
		$message = $response->as_error()->get_error_message();
		$this->assertStringContainsString( $direct['body']['error']['message'], $message );
		foreach ( (array) $direct['body']['error']['fields'] as $problems ) {
			$this->assertStringContainsString( implode( ' ', (array) $problems ), $message, 'the field\'s problem too' );
		}
	}

	public function test_secrets_are_not_autoloaded() {
		global $wpdb;
		delete_option( 'cogvideox_api_token' );
		delete_option( 'cogvideox_webhook_secret' );
		update_option( 'cogvideox_api_token', self::api_token() );
		update_option( 'cogvideox_webhook_secret', 'whsec_' . base64_encode( 'autoload-check' ) );
		update_option( 'cogvideox_api_token', self::api_token() . 'x' );
		update_option( 'cogvideox_api_token', self::api_token() );
		foreach ( array( 'cogvideox_api_token', 'cogvideox_webhook_secret' ) as $option ) {
			$this->assertSame( 'no', $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", $option ) ), $option );
		}
		wp_cache_delete( 'alloptions', 'options' );
		$this->assertArrayNotHasKey( 'cogvideox_api_token', wp_load_alloptions() );
		$this->assertSame( self::api_token(), CogVideoX_Settings::api_token(), 'still read when needed' );
		delete_option( 'cogvideox_webhook_secret' );
	}

	public function test_plain_http_to_another_host_is_warned_about() {
		foreach ( array( 'http://127.0.0.1:7860', 'http://localhost:8000', 'http://[::1]:80', 'https://video.example.com' ) as $safe ) {
			$this->assertSame( '', CogVideoX_Settings::insecure_transport_warning( $safe ), $safe );
		}
		$warning = CogVideoX_Settings::insecure_transport_warning( 'http://video.example.com:7860' );
		$this->assertStringContainsString( 'video.example.com', $warning );
		$this->assertStringContainsString( 'unencrypted', $warning );

		// On the settings page, and when the URL is saved.
		update_option( 'cogvideox_api_url', 'http://192.0.2.10:7860' );
		ob_start();
		cogvideox()->settings->render_api_url();
		$html = ob_get_clean();
		$this->assertStringContainsString( 'cogvideox-insecure-url', $html );
		global $wp_settings_errors;
		$wp_settings_errors = array();
		CogVideoX_Settings::sanitize_api_url( 'http://192.0.2.10:7860' );
		$this->assertSame( 'cogvideox_insecure_url', get_settings_errors( 'cogvideox' )[0]['code'] );
		$this->assertStringNotContainsString( self::api_token(), $html );
		$this->configure( self::api_url(), self::api_token(), '' );
	}
}
