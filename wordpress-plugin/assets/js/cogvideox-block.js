/**
 * The cogvideox/video block: describe a video (or pick a service template), generate it in
 * place with progress, and the block replaces itself with a core/video block carrying the
 * imported MP4 and its poster (one undo step brings the generator back).
 *
 * Plain JavaScript on the editor's own packages (wp.element, wp.blocks, wp.components): no
 * build step. Talks only to the plugin's REST routes; the service token stays on the server.
 */
( function ( wp, config ) {
	'use strict';

	var el = wp.element.createElement;
	var useState = wp.element.useState;
	var useEffect = wp.element.useEffect;
	var useRef = wp.element.useRef;
	var useSelect = wp.data.useSelect;
	var __ = wp.i18n.__;
	var sprintf = wp.i18n.sprintf;
	var apiFetch = wp.apiFetch;
	var C = wp.components;
	var be = wp.blockEditor;
	var base = config.restPath;
	var pollInterval = parseInt( config.pollInterval, 10 ) || 2000;

	function currentPostId() {
		var editor = wp.data.select( 'core/editor' );
		return editor ? editor.getCurrentPostId() : 0;
	}

	function pending( state ) {
		var s = state && state.status;
		return s === 'requested' || s === 'queued' || s === 'processing' || ( s === 'completed' && ! state.attachment );
	}

	function statusText( state ) {
		if ( ! state ) {
			return '';
		}
		switch ( state.status ) {
			case 'requested':
				return __( 'Requesting the video…', 'cogvideox' );
			case 'queued':
				return __( 'Waiting in the queue…', 'cogvideox' );
			case 'processing':
				/* translators: %d: percent done */
				return sprintf( __( 'Generating… %d%%', 'cogvideox' ), state.progress || 0 );
			case 'completed':
				return state.attachment ? __( 'Done.', 'cogvideox' ) : __( 'Adding the video to the Media Library…', 'cogvideox' );
			case 'canceled':
				return __( 'Canceled.', 'cogvideox' );
			case 'failed':
				return __( 'Failed.', 'cogvideox' );
		}
		return '';
	}

	function announce( state ) {
		// The sidebar panel listens, so it shows jobs started from blocks without polling.
		try {
			window.dispatchEvent( new window.CustomEvent( 'cogvideox:job', { detail: state } ) );
		} catch ( e ) {}
	}

	function Edit( props ) {
		var attributes = props.attributes;
		var setAttributes = props.setAttributes;
		var blockProps = be.useBlockProps ? be.useBlockProps( { className: 'cogvideox-block' } ) : { className: 'cogvideox-block' };
		var templatesState = useState( [] );
		var limitsState = useState( null );
		var jobState = useState( null );
		var errorState = useState( '' );
		var sendingState = useState( false );
		var timer = useRef( null );
		var alive = useRef( true );
		// Only a job this block saw running turns it into the video by itself: a generator
		// brought back by undo offers its finished video instead of replacing itself again.
		var sawPending = useRef( false );
		var readyState = useState( null );
		var templates = templatesState[ 0 ];
		var limits = limitsState[ 0 ];
		var job = jobState[ 0 ];
		var postId = currentPostId();
		var path = base + '/posts/' + postId;
		// The post's featured image as the editor has it now (saved or not): "Animate the
		// featured image" is offered while there is one and the service has an image model.
		var featuredId = useSelect( function ( select ) {
			var editor = select( 'core/editor' );
			return ( editor && editor.getEditedPostAttribute( 'featured_media' ) ) || 0;
		}, [] );

		function stop() {
			if ( timer.current ) {
				window.clearTimeout( timer.current );
				timer.current = null;
			}
		}

		function becomeVideo( attachment ) {
			stop();
			var video = wp.blocks.createBlock( 'core/video', {
				id: attachment.id,
				src: attachment.url,
				poster: attachment.poster_url || undefined,
			} );
			wp.data.dispatch( 'core/block-editor' ).replaceBlocks( props.clientId, video );
		}

		function follow( state ) {
			if ( ! alive.current ) {
				return;
			}
			jobState[ 1 ]( state );
			announce( state );
			if ( state.status === 'failed' ) {
				errorState[ 1 ]( state.error || __( 'The video could not be generated.', 'cogvideox' ) );
			}
			if ( state.attachment && state.task_id === attributes.taskId ) {
				if ( sawPending.current ) {
					becomeVideo( state.attachment );
				} else {
					readyState[ 1 ]( state.attachment );
				}
				return;
			}
			if ( pending( state ) ) {
				sawPending.current = true;
				timer.current = window.setTimeout( poll, pollInterval );
			}
		}

		function poll() {
			stop();
			apiFetch( { path: path + '/job' } )
				.then( follow )
				.catch( function ( err ) {
					if ( alive.current ) {
						errorState[ 1 ]( ( err && err.message ) || __( 'Lost contact with WordPress; retrying…', 'cogvideox' ) );
						timer.current = window.setTimeout( poll, pollInterval * 2 );
					}
				} );
		}

		useEffect( function () {
			alive.current = true;
			apiFetch( { path: base + '/templates' } ).then( function ( list ) {
				if ( alive.current && Array.isArray( list ) ) {
					templatesState[ 1 ]( list );
				}
			} ).catch( function () {} );
			apiFetch( { path: base + '/limits' } ).then( function ( l ) {
				if ( alive.current ) {
					limitsState[ 1 ]( l );
				}
			} ).catch( function () {} );
			if ( attributes.taskId ) {
				poll(); // Reopened while its job runs: follow it again.
			}
			return function () {
				alive.current = false;
				stop();
			};
		}, [] );

		function send( data ) {
			errorState[ 1 ]( '' );
			sendingState[ 1 ]( true );
			apiFetch( { path: path + '/generate', method: 'POST', data: data } )
				.then( function ( state ) {
					sendingState[ 1 ]( false );
					sawPending.current = true;
					readyState[ 1 ]( null );
					setAttributes( { taskId: state.task_id } );
					attributes = Object.assign( {}, attributes, { taskId: state.task_id } );
					follow( state );
				} )
				.catch( function ( err ) {
					sendingState[ 1 ]( false );
					// The service's own words when it refuses (limits, templates, quota, image).
					errorState[ 1 ]( ( err && err.message ) || __( 'The video could not be requested.', 'cogvideox' ) );
				} );
		}

		function generate() {
			if ( ! attributes.template && ! attributes.prompt.trim() ) {
				errorState[ 1 ]( __( 'Describe the video or pick a template first.', 'cogvideox' ) );
				return;
			}
			send( {
				prompt: attributes.prompt.trim() || undefined,
				template: attributes.template || undefined,
				duration: attributes.duration || undefined,
				resolution: attributes.resolution || undefined,
				fit: attributes.fit || undefined,
				fps: attributes.fps || undefined,
			} );
		}

		// The server reads the image's file and sends it (never its URL) with the prompt
		// (empty: the post's title and excerpt) to the service's image-to-video model.
		function animate() {
			send( {
				featured_image: true,
				featured_image_id: featuredId || undefined,
				prompt: attributes.prompt.trim() || undefined,
				duration: attributes.duration || undefined,
				resolution: attributes.resolution || undefined,
				fit: attributes.fit || undefined,
				fps: attributes.fps || undefined,
			} );
		}

		var busy = sendingState[ 0 ] || pending( job );
		var canAnimate = !! featuredId && !! ( limits && limits.image_models && limits.image_models.length );
		var maxDuration = limits && limits.max_duration ? limits.max_duration : 6;
		var templateOptions = [ { value: '', label: __( '(none: use my prompt)', 'cogvideox' ) } ].concat(
			templates.map( function ( t ) {
				return { value: t.slug, label: t.name };
			} )
		);

		if ( ! config.canGenerate ) {
			return el( 'div', blockProps, el( C.Placeholder, { icon: 'video-alt3', label: __( 'CogVideoX video', 'cogvideox' ), instructions: __( 'You may not generate videos on this site.', 'cogvideox' ) } ) );
		}

		return el(
			'div',
			blockProps,
			el(
				be.InspectorControls,
				null,
				el(
					C.PanelBody,
					{ title: __( 'Video settings', 'cogvideox' ) },
					el( C.RangeControl, {
						label: __( 'Duration (seconds)', 'cogvideox' ),
						help: __( 'Empty: the site\'s default.', 'cogvideox' ),
						min: 1,
						max: maxDuration,
						allowReset: true,
						value: attributes.duration,
						onChange: function ( value ) {
							setAttributes( { duration: value || undefined } );
						},
					} ),
					el( C.TextControl, {
						label: __( 'Resolution', 'cogvideox' ),
						help: limits ? sprintf( /* translators: %s: native size */ __( 'Width x height. Empty: the site\'s default. Native: %s.', 'cogvideox' ), limits.native_resolution ) : '',
						value: attributes.resolution,
						placeholder: '720x480',
						onChange: function ( value ) {
							setAttributes( { resolution: value } );
						},
					} ),
					// Fit and frame rate: the choices the service lists (GET /api/models via
					// the plugin's /limits), nothing built in; empty: the service's default.
					el( C.SelectControl, {
						label: __( 'Fit', 'cogvideox' ),
						help: __( 'How the rendered frames become the resolution: crop, pad (letterbox) or stretch.', 'cogvideox' ),
						value: attributes.fit || '',
						options: [ { value: '', label: limits && limits.default_fit ? sprintf( /* translators: %s: the service's default fit */ __( 'Service default (%s)', 'cogvideox' ), limits.default_fit ) : __( 'Service default', 'cogvideox' ) } ].concat(
							( ( limits && limits.fits ) || [] ).map( function ( fit ) {
								return { value: fit, label: fit };
							} )
						),
						onChange: function ( value ) {
							setAttributes( { fit: value } );
						},
					} ),
					el( C.SelectControl, {
						label: __( 'Frame rate', 'cogvideox' ),
						value: attributes.fps ? String( attributes.fps ) : '',
						options: [ { value: '', label: limits ? sprintf( /* translators: %d: native frame rate */ __( 'Native (%d fps)', 'cogvideox' ), limits.fps ) : __( 'Native', 'cogvideox' ) } ].concat(
							( ( limits && limits.fps_choices ) || [] ).map( function ( rate ) {
								return { value: String( rate ), label: rate + ' fps' };
							} )
						),
						onChange: function ( value ) {
							setAttributes( { fps: parseInt( value, 10 ) || undefined } );
						},
					} )
				)
			),
			el(
				C.Placeholder,
				{
					icon: 'video-alt3',
					label: __( 'CogVideoX video', 'cogvideox' ),
					instructions: __( 'Describe the video, or pick a template the service fills in from this post.', 'cogvideox' ),
					className: 'cogvideox-block-placeholder',
				},
				el(
					'div',
					{ className: 'cogvideox-block-form' },
					el( C.TextareaControl, {
						label: __( 'Prompt', 'cogvideox' ),
						className: 'cogvideox-block-prompt',
						value: attributes.prompt,
						disabled: busy,
						rows: 3,
						onChange: function ( value ) {
							setAttributes( { prompt: value } );
						},
					} ),
					templates.length ? el( C.SelectControl, {
						label: __( 'Template', 'cogvideox' ),
						className: 'cogvideox-block-template',
						value: attributes.template,
						options: templateOptions,
						disabled: busy,
						onChange: function ( value ) {
							setAttributes( { template: value } );
						},
					} ) : null,
					el(
						C.Button,
						{ variant: 'primary', className: 'cogvideox-block-generate', onClick: generate, disabled: busy, isBusy: busy },
						__( 'Generate', 'cogvideox' )
					),
					canAnimate ? el(
						C.Button,
						{ variant: 'secondary', className: 'cogvideox-block-animate', onClick: animate, disabled: busy },
						__( 'Animate the featured image', 'cogvideox' )
					) : null,
					job ? el(
						'div',
						{ className: 'cogvideox-block-status', 'data-status': job.status, role: 'status', 'aria-live': 'polite' },
						pending( job ) ? el( 'progress', { className: 'cogvideox-block-progress', max: 100, value: job.progress || 0 } ) : null,
						el( 'span', null, statusText( job ) )
					) : null,
					readyState[ 0 ] ? el(
						C.Button,
						{
							variant: 'secondary',
							className: 'cogvideox-block-use',
							onClick: function () {
								becomeVideo( readyState[ 0 ] );
							},
						},
						__( 'Use the finished video', 'cogvideox' )
					) : null,
					errorState[ 0 ] ? el( C.Notice, { status: 'error', isDismissible: false, className: 'cogvideox-block-error' }, errorState[ 0 ] ) : null
				)
			)
		);
	}

	wp.blocks.registerBlockType( 'cogvideox/video', {
		edit: Edit,
		save: function () {
			return null;
		},
	} );
} )( window.wp, window.cogvideoxBlock || { restPath: '/cogvideox/v1', pollInterval: 2000, canGenerate: false } );
