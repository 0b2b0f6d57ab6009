<?php
/**
 * Posts -> All Posts: the "Video" column and the bulk action "Generate video", which queues
 * one job per selected post once, however often it is pressed.
 */
class BulkActionTest extends CogVideoXTestCase {

	/** @var string[] */
	private $tasks = array();

	protected function tearDown(): void {
		foreach ( $this->tasks as $task ) {
			$this->cancel_on_service( $task );
		}
		parent::tearDown();
	}

	private function column( CogVideoX_Posts_List $list, $post ) {
		ob_start();
		$list->render_column( CogVideoX_Posts_List::COLUMN, $post );
		return ob_get_clean();
	}

	/** Posts -> All Posts -> Bulk actions -> Generate video -> Apply, over real HTTP. */
	private function press_bulk_action( array $session, array $posts ) {
		$query = 'action=' . CogVideoX_Posts_List::ACTION . '&post_type=post&_wpnonce=' . $session['nonces']['bulk-posts'];
		foreach ( $posts as $post ) {
			$query .= '&post%5B%5D=' . (int) $post;
		}
		$response = wp_remote_get(
			rtrim( getenv( 'COGVIDEOX_WP_URL' ), '/' ) . '/wp-admin/edit.php?' . $query,
			array(
				'headers'     => array( 'Cookie' => $session['cookie'] ),
				'redirection' => 0,
				'timeout'     => 60,
			)
		);
		$this->assertNotWPError( $response );
		$this->assertSame( 302, wp_remote_retrieve_response_code( $response ), wp_remote_retrieve_body( $response ) );
		return (string) wp_remote_retrieve_header( $response, 'location' );
	}

	public function test_the_real_posts_screen_bulk_action_queues_once_and_says_so() {
		update_option( 'cogvideox_defaults', array_merge( self::tiny(), array( 'template' => '' ) ) );
		$posts   = array(
			$this->new_post( 'editor1', array( 'post_title' => 'Bulk over HTTP one' ) ),
			$this->new_post( 'editor1', array( 'post_title' => 'Bulk over HTTP two' ) ),
		);
		$session = $this->session_cookies( 'editor1', array( 'bulk-posts' ) );

		$location = $this->press_bulk_action( $session, $posts );
		$this->assertStringContainsString( 'cogvideox_queued=2', $location );
		wp_cache_flush();
		$tasks = array();
		foreach ( $posts as $post ) {
			$tasks[ $post ] = (string) $this->fresh_meta( $post, '_cogvideox_task_id' );
			$this->assertNotSame( '', $tasks[ $post ] );
			$this->tasks[] = $tasks[ $post ];
		}

		$again = $this->press_bulk_action( $session, $posts );
		$this->assertStringContainsString( 'cogvideox_queued=0', $again );
		$this->assertStringContainsString( 'cogvideox_skipped=2', $again );
		wp_cache_flush();
		foreach ( $posts as $post ) {
			$this->assertSame( $tasks[ $post ], $this->fresh_meta( $post, '_cogvideox_task_id' ), 'pressed twice: still one job' );
		}

		// The page it lands on: the notice, the menu entry and the Video column.
		$page = $this->http( 'GET', wp_parse_url( $location, PHP_URL_PATH ) . '?' . wp_parse_url( $location, PHP_URL_QUERY ), array( 'Cookie' => $session['cookie'] ) );
		$html = wp_remote_retrieve_body( $page );
		$this->assertStringContainsString( 'Video generation queued for 2 posts.', $html );
		$this->assertStringContainsString( '<option value="' . CogVideoX_Posts_List::ACTION . '">Generate video</option>', $html );
		$this->assertMatchesRegularExpression( '/class=[\'"]cogvideox column-cogvideox[^>]*><span class="cogvideox-column" data-status="(queued|processing|importing|completed)"/', $html );
		$this->assertStringNotContainsString( self::api_token(), $html );

		// A forged nonce does nothing.
		$other    = $this->new_post( 'editor1', array( 'post_title' => 'Not with a forged nonce' ) );
		$response = wp_remote_get(
			rtrim( getenv( 'COGVIDEOX_WP_URL' ), '/' ) . '/wp-admin/edit.php?action=' . CogVideoX_Posts_List::ACTION . '&post_type=post&_wpnonce=abcdef1234&post%5B%5D=' . $other,
			array(
				'headers'     => array( 'Cookie' => $session['cookie'] ),
				'redirection' => 0,
			)
		);
		$this->assertNotSame( 302, wp_remote_retrieve_response_code( $response ) );
		$this->assertSame( '', (string) $this->fresh_meta( $other, '_cogvideox_task_id' ) );
	}

	public function test_pressed_twice_it_queues_one_job_per_post() {
		update_option( 'cogvideox_defaults', array_merge( self::tiny(), array( 'template' => '' ) ) );
		$list  = new CogVideoX_Posts_List();
		$posts = array(
			$this->new_post( 'author1', array( 'post_title' => 'Bulk one' ) ),
			$this->new_post( 'author1', array( 'post_title' => 'Bulk two' ) ),
		);
		$this->login( 'editor1' );
		$this->assertArrayHasKey( CogVideoX_Posts_List::ACTION, $list->add_bulk_action( array() ) );
		$this->assertArrayHasKey( CogVideoX_Posts_List::COLUMN, $list->add_column( array() ) );
		$this->assertStringContainsString( 'data-status="none"', $this->column( $list, $posts[0] ) );

		$first = $list->handle_bulk_action( 'edit.php?paged=2', CogVideoX_Posts_List::ACTION, $posts );
		$this->assertStringContainsString( 'cogvideox_queued=2', $first );
		$this->assertStringContainsString( 'paged=2', $first );
		$tasks = array();
		foreach ( $posts as $post ) {
			$tasks[ $post ] = (string) $this->fresh_meta( $post, '_cogvideox_task_id' );
			$this->assertNotSame( '', $tasks[ $post ] );
			$this->tasks[] = $tasks[ $post ];
		}
		$this->assertCount( 2, array_unique( $tasks ) );

		// Pressed again (or the form submitted twice): nothing new.
		$second = $list->handle_bulk_action( 'edit.php', CogVideoX_Posts_List::ACTION, array_merge( $posts, $posts ) );
		$this->assertStringContainsString( 'cogvideox_queued=0', $second );
		$this->assertStringContainsString( 'cogvideox_skipped=2', $second );
		foreach ( $posts as $post ) {
			$this->assertSame( $tasks[ $post ], $this->fresh_meta( $post, '_cogvideox_task_id' ) );
			$this->assertMatchesRegularExpression( '/data-status="(queued|processing|importing|completed)"/', $this->column( $list, $post ) );
		}
		// The service has exactly those jobs for these posts.
		$listed = $this->service( 'GET', '/api/tasks?limit=50' )['body'];
		$items  = isset( $listed['results'] ) ? $listed['results'] : ( isset( $listed['items'] ) ? $listed['items'] : $listed );
		$mine   = array();
		foreach ( $items as $item ) {
			$meta = isset( $item['metadata'] ) ? $item['metadata'] : array();
			if ( isset( $meta['wp_post_id'] ) && in_array( (int) $meta['wp_post_id'], $posts, true ) ) {
				$mine[] = $item['task_id'];
			}
		}
		sort( $mine );
		$expected = array_values( $tasks );
		sort( $expected );
		$this->assertSame( $expected, $mine, 'one job per post on the service' );

		// The notice says what happened.
		$_GET = array(
			'cogvideox_queued'  => '2',
			'cogvideox_skipped' => '1',
		);
		ob_start();
		$list->bulk_notice();
		$notice = ob_get_clean();
		$_GET   = array();
		$this->assertStringContainsString( 'Video generation queued for 2 posts.', $notice );
		$this->assertStringContainsString( '1 post skipped', $notice );
	}
}
