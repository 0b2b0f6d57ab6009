<?php
/**
 * Service templates: the plugin sends `template` + `variables` (title, excerpt, categories and
 * the custom fields the settings map) and the service renders the prompt, so the template's
 * negative prompt and default parameters apply. The job is canceled once it is checked.
 */
class TemplateVariablesTest extends CogVideoXTestCase {

	/** @var string[] */
	private $tasks = array();

	protected function tearDown(): void {
		foreach ( $this->tasks as $task ) {
			$this->cancel_on_service( $task );
		}
		parent::tearDown();
	}

	private static function slug() {
		return self::env( 'COGVIDEOX_TEST_VARIABLES_TEMPLATE_SLUG' );
	}

	public function test_a_custom_field_mapped_in_the_settings_becomes_a_variable() {
		update_option( 'cogvideox_defaults', CogVideoX_Settings::sanitize_defaults( array( 'variable_map' => "color = _product_color\n9bad = x\nnot a line" ) ) );
		$this->assertSame( array( 'color' => '_product_color' ), CogVideoX_Settings::variable_map(), 'bad lines are dropped' );
		$post = $this->new_post( 'author1', array( 'post_title' => 'Aurora lamp' ) );
		update_post_meta( $post, '_product_color', 'teal <b>glass</b>' );
		$payload = CogVideoX_Jobs::build_payload( $post, array( 'template' => self::slug() ) );
		$this->assertSame( self::slug(), $payload['template'] );
		$this->assertSame( 'teal glass', $payload['variables']['color'] );
		$this->assertSame( 'Aurora lamp', $payload['variables']['title'] );
		$this->assertSame( 'Waves roll in slowly', $payload['variables']['excerpt'] );
		foreach ( array( 'prompt', 'duration', 'resolution', 'enhance_quality' ) as $left_to_the_template ) {
			$this->assertArrayNotHasKey( $left_to_the_template, $payload );
		}
	}

	public function test_the_service_renders_the_template_with_its_negative_prompt_and_defaults() {
		update_option( 'cogvideox_defaults', CogVideoX_Settings::sanitize_defaults( array( 'variable_map' => 'color = _product_color' ) ) );
		$category = wp_insert_term( 'Lighting', 'category' );
		$category = is_wp_error( $category ) ? (int) $category->get_error_data( 'term_exists' ) : (int) $category['term_id'];
		$post     = $this->new_post( 'author1', array( 'post_title' => 'Aurora lamp', 'post_category' => array( $category ) ) );
		update_post_meta( $post, '_product_color', 'teal' );

		// What the meta box sends with a template chosen and nothing else touched.
		$this->login( 'author1' );
		$response = $this->rest( 'POST', "/posts/$post/generate", array( 'template' => self::slug() ) );
		$this->assertSame( 201, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$task          = $response->get_data()['task_id'];
		$this->tasks[] = $task;

		$job = $this->service( 'GET', '/api/status/' . rawurlencode( $task ) );
		$this->assertSame( 200, $job['code'] );
		$this->assertSame( 'A product film of Aurora lamp in teal, filed under Lighting', $job['body']['prompt'] );
		$this->assertSame( 'blurry, watermark', $job['body']['negative_prompt'] );
		$this->assertSame( self::slug(), $job['body']['template'] );
		$this->assertSame( 2, $job['body']['duration'], 'the template\'s default, not the site\'s 4 s' );
		$this->assertSame( '64x64', $job['body']['resolution'] );
		$this->assertFalse( $job['body']['params']['enhance_quality'] );
		$this->assertSame( 'teal', $job['body']['variables']['color'] );
		// The post remembers what the service resolved.
		$params = json_decode( $this->fresh_meta( $post, '_cogvideox_params' ), true );
		$this->assertSame( $job['body']['prompt'], $params['prompt'] );
		$this->assertSame( 2, $params['duration'] );
	}
}
