<?php
/**
 * Downloads from the service send the token only to the configured service origin: a redirect
 * that leaves it (another host or port) is refused, not followed; one within it is followed.
 * Two real php -S servers: the "service" that redirects, and an "elsewhere" that records.
 */
class DownloadRedirectTest extends CogVideoXTestCase {

	/** @var resource[] */
	private $servers = array();

	/** @var string */
	private $dir;

	protected function setUp(): void {
		parent::setUp();
		$this->dir = sys_get_temp_dir() . '/cogvideox-redirect-' . getmypid() . '-' . wp_rand();
		mkdir( $this->dir );
		file_put_contents(
			$this->dir . '/router.php',
			'<?php
			$log = getenv( "ROUTER_LOG" );
			file_put_contents( $log, $_SERVER["REQUEST_URI"] . " auth=" . ( $_SERVER["HTTP_AUTHORIZATION"] ?? "" ) . "\n", FILE_APPEND );
			$path = parse_url( $_SERVER["REQUEST_URI"], PHP_URL_PATH );
			if ( "/api/download/elsewhere" === $path ) { header( "Location: " . getenv( "ELSEWHERE" ) . "/steal", true, 302 ); exit; }
			if ( "/api/download/same" === $path ) { header( "Location: /api/download/final", true, 307 ); exit; }
			header( "Content-Type: video/mp4" );
			echo "video-bytes";'
		);
	}

	protected function tearDown(): void {
		foreach ( $this->servers as $server ) {
			proc_terminate( $server );
			proc_close( $server );
		}
		foreach ( glob( $this->dir . '/*' ) as $file ) {
			unlink( $file );
		}
		rmdir( $this->dir );
		parent::tearDown();
	}

	private function serve( $name, array $env ) {
		$probe = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port  = (int) substr( strrchr( stream_socket_get_name( $probe, false ), ':' ), 1 );
		fclose( $probe );
		touch( "$this->dir/$name.log" );
		$this->servers[] = proc_open(
			array( PHP_BINARY, '-S', "127.0.0.1:$port", "$this->dir/router.php" ),
			array( 1 => array( 'file', '/dev/null', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes,
			$this->dir,
			$env + array( 'ROUTER_LOG' => "$this->dir/$name.log" )
		);
		for ( $i = 0; $i < 200; $i++ ) { // until it accepts connections
			$sock = @fsockopen( '127.0.0.1', $port, $errno, $errstr, 0.1 );
			if ( $sock ) {
				fclose( $sock );
				return "http://127.0.0.1:$port";
			}
			usleep( 25000 );
		}
		$this->fail( "php -S for $name did not start" );
	}

	private function requests( $name ) {
		return array_values( array_filter( explode( "\n", (string) file_get_contents( "$this->dir/$name.log" ) ) ) );
	}

	public function test_a_redirect_off_the_service_origin_is_refused_and_gets_no_token() {
		$elsewhere = $this->serve( 'elsewhere', array() );
		$service   = $this->serve( 'service', array( 'ELSEWHERE' => $elsewhere ) );
		// WordPress itself would let the other port through: only the plugin's origin rule stops it.
		$port  = (int) wp_parse_url( $elsewhere, PHP_URL_PORT );
		$ports = function ( $allowed ) use ( $port ) {
			return array_merge( (array) $allowed, array( $port ) );
		};
		add_filter( 'http_allowed_safe_ports', $ports );
		try {
			$client = new CogVideoX_API_Client( $service, 'download-token-1234' );
			$result = $client->download_to_temp( 'elsewhere' );
		} finally {
			remove_filter( 'http_allowed_safe_ports', $ports );
		}
		$this->assertInstanceOf( 'WP_Error', $result );
		$this->assertSame( 'cogvideox_download_redirect', $result->get_error_code() );
		$this->assertStringContainsString( $elsewhere, $result->get_error_message() );
		$this->assertSame( array( '/api/download/elsewhere auth=Bearer download-token-1234' ), $this->requests( 'service' ) );
		$this->assertSame( array(), $this->requests( 'elsewhere' ), 'the other origin got no request at all' );
	}

	public function test_a_redirect_within_the_service_origin_is_followed_with_the_token() {
		$service = $this->serve( 'service', array( 'ELSEWHERE' => 'http://unused.invalid' ) );
		$client  = new CogVideoX_API_Client( $service, 'download-token-1234' );
		$tmp     = $client->download_to_temp( 'same' );
		$this->assertIsString( $tmp );
		$this->assertSame( 'video-bytes', file_get_contents( $tmp ) );
		wp_delete_file( $tmp );
		$this->assertSame(
			array( '/api/download/same auth=Bearer download-token-1234', '/api/download/final auth=Bearer download-token-1234' ),
			$this->requests( 'service' )
		);
	}

	public function test_the_service_origin_is_scheme_host_and_port() {
		$client = new CogVideoX_API_Client( 'http://Studio.example:7861/', 'token' );
		$this->assertTrue( $client->is_service_origin( 'http://studio.example:7861/api/download/x' ) );
		$this->assertFalse( $client->is_service_origin( 'https://studio.example:7861/api/download/x' ) );
		$this->assertFalse( $client->is_service_origin( 'http://studio.example:7862/api/download/x' ) );
		$this->assertFalse( $client->is_service_origin( 'http://studio.example.evil/api/download/x' ) );
		$this->assertFalse( $client->is_service_origin( '//studio.example:7861/x' ) );
		$default = new CogVideoX_API_Client( 'https://studio.example', 'token' );
		$this->assertTrue( $default->is_service_origin( 'https://studio.example:443/x' ) );
	}
}
