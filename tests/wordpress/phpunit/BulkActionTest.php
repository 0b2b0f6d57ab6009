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
