<?php
/**
 * Least privilege: generating puts files in the Media Library, so it takes the plugin's own
 * capability (cogvideox_generate_videos), which by default follows upload_files. Checked per
 * role on every route, the save hook, the meta box, the bulk action and the REST field.
 */
class CapabilityTest extends CogVideoXTestCase {

	/** Every route of the plugin but the webhook (public, HMAC-signed). */
	private function routes( $post ) {
		return array(
			'generate'        => array( 'POST', "/posts/$post/generate", array( 'prompt' => 'x', 'duration' => 99 ) ),
			'job'             => array( 'GET', "/posts/$post/job", array() ),
			'cancel'          => array( 'POST', "/posts/$post/cancel", array() ),
			'featured'        => array( 'POST', "/posts/$post/featured", array() ),
			'templates'       => array( 'GET', '/templates', array() ),
			'limits'          => array( 'GET', '/limits', array() ),
			'test-connection' => array( 'POST', '/test-connection', array() ),
		);
	}

	private function attachment_count() {
		global $wpdb;
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'attachment'" );
	}

	public function test_roles_with_upload_files_have_the_capability_and_the_rest_do_not() {
		$expected = array(
			'admin'        => true,
			'editor1'      => true,
			'author1'      => true,
			'contributor1' => false,
			'subscriber1'  => false,
		);
		foreach ( $expected as $login => $can ) {
			$this->login( $login );
			$this->assertSame( $can, current_user_can( CogVideoX_Jobs::CAPABILITY ), $login );
			$this->assertSame( current_user_can( 'upload_files' ), current_user_can( CogVideoX_Jobs::CAPABILITY ), "$login: follows upload_files" );
		}
	}

	public function test_contributor_gets_403_from_every_route_and_no_attachment_is_created() {
		$before = $this->attachment_count();
		$post   = $this->new_post( 'contributor1' );
		$this->login( 'contributor1' );
		$this->assertTrue( current_user_can( 'edit_post', $post ), 'the contributor may edit their own draft' );
		foreach ( $this->routes( $post ) as $name => $route ) {
			$response = $this->rest( $route[0], $route[1], $route[2] );
			$this->assertSame( 403, $response->get_status(), "contributor on $name" );
		}

		// The save hook with "generate when I save" and a valid nonce of their own.
		$_POST = array(
			CogVideoX_Integration::NONCE_FIELD => wp_create_nonce( CogVideoX_Integration::NONCE_ACTION ),
			'cogvideox_prompt'                 => 'A contributor sneaks in a video',
			'cogvideox_generate_on_save'       => '1',
		);
		$this->assertFalse( cogvideox()->save_video_generation( $post, get_post( $post ) ) );
		wp_update_post( array( 'ID' => $post, 'post_title' => 'Saved by a contributor' ) );
		$_POST = array();

		// The bulk action starts nothing for them either.
		$redirect = ( new CogVideoX_Posts_List() )->handle_bulk_action( 'edit.php', CogVideoX_Posts_List::ACTION, array( $post ) );
		$this->assertStringContainsString( 'cogvideox_queued=0', $redirect );

		// No meta box, no column, no bulk action, no editor scripts.
		global $wp_meta_boxes;
		$wp_meta_boxes = array();
		cogvideox()->add_video_meta_box();
		$this->assertEmpty( $wp_meta_boxes );
		$this->assertArrayNotHasKey( CogVideoX_Posts_List::COLUMN, ( new CogVideoX_Posts_List() )->add_column( array() ) );
		$this->assertArrayNotHasKey( CogVideoX_Posts_List::ACTION, ( new CogVideoX_Posts_List() )->add_bulk_action( array() ) );

		$this->run_cron();
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ), 'nothing was started' );
		$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_status' ) );
		$this->assertSame( $before, $this->attachment_count(), 'no attachment was created' );
	}

	public function test_subscriber_and_anonymous_are_refused_everywhere() {
		$post = $this->new_post( 'author1' );
		foreach ( array( 'subscriber1' => 403, '' => 401 ) as $login => $code ) {
			$this->login( $login );
			foreach ( $this->routes( $post ) as $name => $route ) {
				$this->assertSame( $code, $this->rest( $route[0], $route[1], $route[2] )->get_status(), ( $login ? $login : 'anonymous' ) . " on $name" );
			}
		}
	}

	public function test_author_editor_and_administrator_pass_the_permission_check() {
		foreach ( array( 'author1', 'editor1', 'admin' ) as $login ) {
			$post = $this->new_post( $login );
			$this->login( $login );
			// Past the permission check, stopped by the service's limit (duration 99): a 400, no job.
			$response = $this->rest( 'POST', "/posts/$post/generate", array( 'prompt' => 'x', 'duration' => 99 ) );
			$this->assertSame( 400, $response->get_status(), "$login: " . wp_json_encode( $response->get_data() ) );
			$this->assertSame( 200, $this->rest( 'GET', "/posts/$post/job" )->get_status(), $login );
			$this->assertSame( 200, $this->rest( 'GET', '/templates' )->get_status(), $login );
			$this->assertSame( 200, $this->rest( 'GET', '/limits' )->get_status(), $login );
			$this->assertSame( 409, $this->rest( 'POST', "/posts/$post/cancel" )->get_status(), "$login: nothing to cancel" );
			$this->assertSame( 409, $this->rest( 'POST', "/posts/$post/featured" )->get_status(), "$login: no poster yet" );
			$this->assertSame( 'admin' === $login ? 200 : 403, $this->rest( 'POST', '/test-connection' )->get_status(), "$login: test-connection needs manage_options" );
			$this->assertSame( '', (string) $this->fresh_meta( $post, '_cogvideox_task_id' ) );
		}
		// An editor may not generate into someone else's post only if they cannot edit it; they can.
		$others = $this->new_post( 'author1' );
		$this->login( 'author2' );
		$this->assertSame( 403, $this->rest( 'GET', "/posts/$others/job" )->get_status(), 'author on another author\'s post' );
	}

	public function test_the_capability_is_filterable_and_explicit_grants_win() {
		$post   = $this->new_post( 'author1' );
		$strict = static function () {
			return 'edit_others_posts';
		};
		add_filter( 'cogvideox_generate_base_capability', $strict );
		try {
			$this->login( 'author1' );
			$this->assertFalse( current_user_can( CogVideoX_Jobs::CAPABILITY ) );
			$this->assertSame( 403, $this->rest( 'GET', "/posts/$post/job" )->get_status() );
			$this->login( 'editor1' );
			$this->assertTrue( current_user_can( CogVideoX_Jobs::CAPABILITY ) );
		} finally {
			remove_filter( 'cogvideox_generate_base_capability', $strict );
		}

		// A site may grant it to contributors by role, as with any capability.
		$role = get_role( 'contributor' );
		$role->add_cap( CogVideoX_Jobs::CAPABILITY );
		try {
			$mine = $this->new_post( 'contributor1' );
			$this->login( 'contributor1' );
			wp_get_current_user()->get_role_caps();
			$this->assertTrue( current_user_can( CogVideoX_Jobs::CAPABILITY ) );
			$this->assertSame( 200, $this->rest( 'GET', "/posts/$mine/job" )->get_status() );
		} finally {
			$role->remove_cap( CogVideoX_Jobs::CAPABILITY );
			wp_get_current_user()->get_role_caps();
		}
		$this->assertFalse( current_user_can( CogVideoX_Jobs::CAPABILITY ) );
	}
}
