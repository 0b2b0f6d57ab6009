<?php
/**
 * The source article's WordPress class calls the service like this; it must keep working.
 * (Only the 200 + task_id is checked: the 4 s 512x512 job is canceled right away.)
 */
class ArticleCompatTest extends CogVideoXTestCase {

	/** @var string[] */
	private $tasks = array();

	protected function tearDown(): void {
		foreach ( $this->tasks as $task ) {
			$this->cancel_on_service( $task );
		}
		parent::tearDown();
	}

	public function test_the_articles_own_call_shape_is_answered_with_200_and_a_task_id() {
		$post_id = $this->new_post( 'author1' );
		$api_url   = get_option( 'cogvideox_api_url' );
		$api_token = get_option( 'cogvideox_api_token' );

		// The article's request, as written there.
		$payload  = array(
			'prompt'     => 'A lighthouse at dawn, waves rolling in',
			'duration'   => 4,
			'resolution' => '512x512',
		);
		$response = wp_remote_post(
			$api_url . '/api/generate',
			array(
				'headers' => array(
					'Authorization' => 'Bearer ' . $api_token,
					'Content-Type'  => 'application/json',
				),
				'body'    => json_encode( $payload ),
				'timeout' => 30,
			)
		);
		$this->assertFalse( is_wp_error( $response ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $response ), wp_remote_retrieve_body( $response ) );
		$body = json_decode( wp_remote_retrieve_body( $response ), true );
		$this->assertNotEmpty( $body['task_id'] );
		$this->tasks[] = $body['task_id'];
		update_post_meta( $post_id, '_cogvideox_task_id', $body['task_id'] );
		$this->assertSame( $body['task_id'], $this->fresh_meta( $post_id, '_cogvideox_task_id' ) );
	}

	public function test_plugin_keeps_the_generate_video_for_post_method() {
		$post_id = $this->new_post( 'author1' );
		$task    = cogvideox()->generate_video_for_post( $post_id, 'A lighthouse at dawn, waves rolling in' );
		$this->assertIsString( $task );
		$this->assertNotSame( '', $task );
		$this->tasks[] = $task;
		$this->assertSame( $task, $this->fresh_meta( $post_id, '_cogvideox_task_id' ) );

		// The request really was the article's: duration 4, 512x512.
		$params = json_decode( $this->fresh_meta( $post_id, '_cogvideox_params' ), true );
		$this->assertSame( 4, $params['duration'] );
		$this->assertSame( '512x512', $params['resolution'] );
		$answer = $this->service( 'GET', '/api/status/' . rawurlencode( $task ) );
		$this->assertSame( 200, $answer['code'] );
		$this->assertSame( $task, $answer['body']['task_id'] );
	}

	public function test_generate_video_for_post_returns_false_when_the_service_is_unreachable() {
		$post_id = $this->new_post( 'author1' );
		$this->configure( 'http://127.0.0.1:9', self::api_token(), '' );
		$this->assertFalse( cogvideox()->generate_video_for_post( $post_id, 'anything' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post_id, '_cogvideox_task_id' ) );
	}

	public function test_generate_video_for_post_returns_false_on_a_rejected_token() {
		$post_id = $this->new_post( 'author1' );
		$this->configure( self::api_url(), 'not-a-valid-token', '' );
		$this->assertFalse( cogvideox()->generate_video_for_post( $post_id, 'anything' ) );
		$this->assertSame( '', (string) $this->fresh_meta( $post_id, '_cogvideox_task_id' ) );
	}
}
