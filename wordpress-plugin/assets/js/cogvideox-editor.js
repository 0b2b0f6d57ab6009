/**
 * CogVideoX meta box: start a job, follow it, insert the result.
 *
 * Talks only to the plugin's own REST routes (wp.apiFetch sends the X-WP-Nonce header);
 * the service token never reaches the browser. Works in the block and classic editors.
 */
( function ( wp, config ) {
	'use strict';

	var __ = wp.i18n.__;
	var sprintf = wp.i18n.sprintf;
	var apiFetch = wp.apiFetch;

	var box = document.getElementById( 'cogvideox-box' );
	if ( ! box || ! apiFetch ) {
		return;
	}

	var postId = parseInt( box.getAttribute( 'data-post-id' ), 10 );
	var base = config.restPath + '/posts/' + postId;
	var pollInterval = parseInt( config.pollInterval, 10 ) || 3000;
	var el = function ( id ) {
		return document.getElementById( id );
	};
	var ui = {
		template: el( 'cogvideox-template' ),
		prompt: el( 'cogvideox-prompt' ),
		useTitle: el( 'cogvideox-use-title' ),
		duration: el( 'cogvideox-duration' ),
		resolution: el( 'cogvideox-resolution' ),
		fit: el( 'cogvideox-fit' ),
		fps: el( 'cogvideox-fps' ),
		quality: el( 'cogvideox-enhance-quality' ),
		generate: el( 'cogvideox-generate' ),
		animate: el( 'cogvideox-animate' ),
		cancel: el( 'cogvideox-cancel' ),
		progressWrap: el( 'cogvideox-progress-wrap' ),
		progress: el( 'cogvideox-progress' ),
		statusText: el( 'cogvideox-status-text' ),
		error: el( 'cogvideox-error' ),
		result: el( 'cogvideox-result' ),
		preview: el( 'cogvideox-preview' ),
		insert: el( 'cogvideox-insert' ),
		featured: el( 'cogvideox-featured' ),
		mediaLink: el( 'cogvideox-media-link' ),
	};
	var state = null;
	var timer = null;
	// Until the editor types their own prompt, it follows the post title and excerpt.
	var followTitle = box.getAttribute( 'data-prompt-from-post' ) === '1';

	function blockEditor() {
		return !! ( wp.data && wp.blocks && wp.data.select( 'core/block-editor' ) && wp.data.select( 'core/editor' ) );
	}

	/** Current title and excerpt, from whichever editor is on the page. */
	function titleAndExcerpt() {
		var title = '';
		var excerpt = '';
		if ( blockEditor() ) {
			var editor = wp.data.select( 'core/editor' );
			title = editor.getEditedPostAttribute( 'title' ) || '';
			excerpt = editor.getEditedPostAttribute( 'excerpt' ) || '';
		} else {
			var t = document.getElementById( 'title' );
			var e = document.getElementById( 'excerpt' );
			title = t ? t.value : '';
			excerpt = e ? e.value : '';
		}
		return [ title.trim(), excerpt.trim() ].filter( Boolean ).join( '. ' );
	}

	// With a service template the service renders the prompt from the post's variables
	// (title, excerpt, categories, mapped custom fields) and applies the template's negative
	// prompt and defaults: the box sends only what the editor set by hand.
	var touched = {};
	[ 'duration', 'resolution', 'quality' ].forEach( function ( key ) {
		if ( ui[ key ] ) {
			ui[ key ].addEventListener( 'change', function () {
				touched[ key ] = true;
			} );
		}
	} );
	var promptPlaceholder = ui.prompt.getAttribute( 'placeholder' ) || '';

	function usingTemplate() {
		return !! ( ui.template && ui.template.value );
	}

	function onTemplateChange() {
		var option = ui.template.options[ ui.template.selectedIndex ];
		var text = option ? option.getAttribute( 'data-prompt' ) || '' : '';
		if ( ! usingTemplate() ) {
			ui.prompt.setAttribute( 'placeholder', promptPlaceholder );
			return;
		}
		/* translators: %s: the template's text with its {placeholders} */
		ui.prompt.setAttribute( 'placeholder', sprintf( __( 'Template: %s (filled in from the post by the service). Type here to use your own prompt instead.', 'cogvideox' ), text ) );
		if ( followTitle ) {
			ui.prompt.value = '';
		}
		if ( ! touched.duration ) {
			ui.duration.value = '';
		}
		if ( ! touched.resolution ) {
			ui.resolution.value = '';
		}
	}

	function show( node, visible ) {
		if ( node ) {
			node.hidden = ! visible;
		}
	}

	function showError( message ) {
		ui.error.querySelector( 'p' ).textContent = message || '';
		show( ui.error, !! message );
	}

	var labels = {
		requested: __( 'Requesting the video…', 'cogvideox' ),
		queued: __( 'Waiting in the queue…', 'cogvideox' ),
		processing: __( 'Generating…', 'cogvideox' ),
		completed: __( 'Done.', 'cogvideox' ),
		importing: __( 'Adding the video to the Media Library…', 'cogvideox' ),
		failed: __( 'Failed.', 'cogvideox' ),
		canceled: __( 'Canceled.', 'cogvideox' ),
	};

	function render( next ) {
		state = next || state;
		if ( ! state ) {
			return;
		}
		var status = state.status || '';
		var pending = status === 'requested' || status === 'queued' || status === 'processing';
		var importing = status === 'completed' && ! state.attachment;

		ui.generate.disabled = pending || importing;
		if ( ui.animate ) {
			ui.animate.disabled = pending || importing;
		}
		show( ui.cancel, pending );
		show( ui.progressWrap, pending || importing || status === 'completed' );
		ui.progress.value = Math.max( 0, Math.min( 100, state.progress || 0 ) );
		var text = importing ? labels.importing : labels[ status ] || '';
		if ( status === 'processing' ) {
			/* translators: %d: percent done */
			text = sprintf( __( 'Generating… %d%%', 'cogvideox' ), state.progress || 0 );
		}
		ui.statusText.textContent = text;
		box.setAttribute( 'data-status', importing ? 'importing' : status );

		var error = state.error || '';
		if ( status === 'failed' && ! error ) {
			error = __( 'The video could not be generated.', 'cogvideox' );
		}
		showError( status === 'canceled' ? '' : error );

		if ( state.attachment ) {
			show( ui.result, true );
			if ( ui.preview.getAttribute( 'src' ) !== state.attachment.url ) {
				ui.preview.setAttribute( 'src', state.attachment.url );
				if ( state.attachment.poster_url ) {
					ui.preview.setAttribute( 'poster', state.attachment.poster_url );
				}
			}
			ui.mediaLink.setAttribute( 'href', state.attachment.edit_url || '#' );
			ui.featured.disabled = ! state.attachment.poster_id || state.featured;
			box.setAttribute( 'data-attachment-id', String( state.attachment.id ) );
		} else {
			show( ui.result, false );
		}
	}

	function stopPolling() {
		if ( timer ) {
			window.clearTimeout( timer );
			timer = null;
		}
	}

	function poll() {
		stopPolling();
		apiFetch( { path: base + '/job' } )
			.then( function ( next ) {
				render( next );
				if ( next.sync_error ) {
					showError( next.sync_error );
				}
				var status = next.status;
				if ( status === 'requested' || status === 'queued' || status === 'processing' || ( status === 'completed' && ! next.attachment ) ) {
					timer = window.setTimeout( poll, pollInterval );
				}
			} )
			.catch( function ( err ) {
				showError( ( err && err.message ) || __( 'Lost contact with WordPress; retrying…', 'cogvideox' ) );
				timer = window.setTimeout( poll, pollInterval * 2 );
			} );
	}

	/** Ask for a job (Generate or Animate) and follow it. */
	function start( data ) {
		showError( '' );
		ui.generate.disabled = true;
		if ( ui.animate ) {
			ui.animate.disabled = true;
		}
		apiFetch( { path: base + '/generate', method: 'POST', data: data } )
			.then( function ( next ) {
				render( next );
				timer = window.setTimeout( poll, pollInterval );
			} )
			.catch( function ( err ) {
				ui.generate.disabled = false;
				if ( ui.animate ) {
					ui.animate.disabled = false;
				}
				showError( ( err && err.message ) || __( 'The video could not be requested.', 'cogvideox' ) );
			} );
	}

	function generate() {
		var template = usingTemplate();
		if ( ! template && ! ui.prompt.value.trim() ) {
			ui.prompt.value = titleAndExcerpt();
		}
		if ( ! template && ! ui.prompt.value.trim() ) {
			showError( __( 'Write a prompt (or give the post a title) first.', 'cogvideox' ) );
			ui.prompt.focus();
			return;
		}
		start( {
			prompt: ui.prompt.value.trim() || undefined,
			duration: parseInt( ui.duration.value, 10 ) || undefined,
			resolution: ui.resolution.value.trim() || undefined,
			// Empty: the service's default (crop, the native rate); the choices are its own.
			fit: ( ui.fit && ui.fit.value ) || undefined,
			fps: ( ui.fps && parseInt( ui.fps.value, 10 ) ) || undefined,
			enhance_quality: template && ! touched.quality ? undefined : !! ui.quality.checked,
			template: ui.template.value || undefined,
		} );
	}

	/** The featured image chosen in the editor now (0: none), saved or not. */
	function featuredImageId() {
		if ( blockEditor() ) {
			return parseInt( wp.data.select( 'core/editor' ).getEditedPostAttribute( 'featured_media' ), 10 ) || 0;
		}
		var field = document.getElementById( '_thumbnail_id' );
		if ( field ) {
			return Math.max( 0, parseInt( field.value, 10 ) || 0 );
		}
		return ui.animate ? parseInt( ui.animate.getAttribute( 'data-featured-image' ), 10 ) || 0 : 0;
	}

	function updateAnimate() {
		if ( ui.animate ) {
			show( ui.animate, featuredImageId() > 0 );
		}
	}

	/**
	 * "Animate the featured image": the server sends the image's file (never its URL) with
	 * the prompt to the service's image-to-video model. Templates are for text: the prompt
	 * box, else the post's title and excerpt.
	 */
	function animate() {
		var image = featuredImageId();
		if ( ! image ) {
			showError( __( 'Set a featured image first.', 'cogvideox' ) );
			return;
		}
		start( {
			featured_image: true,
			featured_image_id: image,
			prompt: ui.prompt.value.trim() || undefined,
			duration: parseInt( ui.duration.value, 10 ) || undefined,
			resolution: ui.resolution.value.trim() || undefined,
			fit: ( ui.fit && ui.fit.value ) || undefined,
			fps: ( ui.fps && parseInt( ui.fps.value, 10 ) ) || undefined,
			enhance_quality: !! ui.quality.checked,
		} );
	}

	function cancel() {
		ui.cancel.disabled = true;
		apiFetch( { path: base + '/cancel', method: 'POST' } )
			.then( function ( next ) {
				stopPolling();
				render( next );
			} )
			.catch( function ( err ) {
				showError( ( err && err.message ) || __( 'Could not cancel.', 'cogvideox' ) );
			} )
			.then( function () {
				ui.cancel.disabled = false;
			} );
	}

	function insert() {
		if ( ! state || ! state.attachment ) {
			return;
		}
		var a = state.attachment;
		if ( blockEditor() ) {
			var block = wp.blocks.createBlock( 'core/video', {
				id: a.id,
				src: a.url,
				poster: a.poster_url || undefined,
			} );
			wp.data.dispatch( 'core/block-editor' ).insertBlocks( block );
		} else if ( typeof window.send_to_editor === 'function' ) {
			window.send_to_editor( a.shortcode );
		} else {
			var content = document.getElementById( 'content' );
			if ( content ) {
				content.value += '\n' + a.shortcode + '\n';
			}
		}
		ui.statusText.textContent = __( 'Video inserted into the post.', 'cogvideox' );
	}

	function setFeatured() {
		ui.featured.disabled = true;
		apiFetch( { path: base + '/featured', method: 'POST' } )
			.then( function ( next ) {
				var posterId = next.attachment && next.attachment.poster_id;
				if ( posterId && blockEditor() ) {
					// Keep the editor's copy in step, or the next save would undo it.
					wp.data.dispatch( 'core/editor' ).editPost( { featured_media: posterId } );
				} else if ( posterId ) {
					if ( typeof window.WPSetThumbnailID === 'function' ) {
						window.WPSetThumbnailID( posterId );
					}
					if ( next.thumbnail_html && typeof window.WPSetThumbnailHTML === 'function' ) {
						window.WPSetThumbnailHTML( next.thumbnail_html );
					}
				}
				render( next );
				ui.statusText.textContent = __( 'Poster set as featured image.', 'cogvideox' );
			} )
			.catch( function ( err ) {
				ui.featured.disabled = false;
				showError( ( err && err.message ) || __( 'Could not set the featured image.', 'cogvideox' ) );
			} );
	}

	ui.generate.addEventListener( 'click', generate );
	if ( ui.animate ) {
		ui.animate.addEventListener( 'click', animate );
		// Follow the editor's featured image: the block editor's store, or the classic
		// editor's Featured image box (its content is replaced when the image changes).
		if ( blockEditor() ) {
			wp.data.subscribe( updateAnimate );
		} else if ( document.getElementById( 'postimagediv' ) && window.MutationObserver ) {
			new window.MutationObserver( updateAnimate ).observe( document.getElementById( 'postimagediv' ), { childList: true, subtree: true, attributes: true } );
		}
		updateAnimate();
	}
	ui.cancel.addEventListener( 'click', cancel );
	ui.insert.addEventListener( 'click', insert );
	ui.featured.addEventListener( 'click', setFeatured );
	ui.useTitle.addEventListener( 'click', function () {
		ui.prompt.value = titleAndExcerpt();
		followTitle = true;
	} );
	ui.prompt.addEventListener( 'input', function () {
		followTitle = false;
	} );

	function syncPromptWithTitle() {
		if ( followTitle && ! usingTemplate() ) {
			var text = titleAndExcerpt();
			if ( text && ui.prompt.value !== text ) {
				ui.prompt.value = text;
			}
		}
	}
	if ( blockEditor() ) {
		wp.data.subscribe( syncPromptWithTitle );
	} else {
		[ 'title', 'excerpt' ].forEach( function ( id ) {
			var field = document.getElementById( id );
			if ( field ) {
				field.addEventListener( 'input', syncPromptWithTitle );
			}
		} );
	}
	ui.template.addEventListener( 'change', onTemplateChange );
	if ( usingTemplate() ) {
		onTemplateChange();
	}

	// The block editor saves meta boxes after the post; a save with "generate when I save"
	// ticked may have started a job, so look again once that is done.
	if ( blockEditor() && wp.data.select( 'core/edit-post' ) ) {
		var wasSaving = false;
		wp.data.subscribe( function () {
			var saving = wp.data.select( 'core/edit-post' ).isSavingMetaBoxes();
			if ( wasSaving && ! saving ) {
				poll();
			}
			wasSaving = saving;
		} );
	}

	try {
		render( JSON.parse( box.getAttribute( 'data-state' ) || 'null' ) );
	} catch ( e ) {
		render( null );
	}
	if ( state && ( state.status === 'requested' || state.status === 'queued' || state.status === 'processing' || ( state.status === 'completed' && ! state.attachment ) ) ) {
		poll();
	}
} )( window.wp, window.cogvideoxEditor || { restPath: '/cogvideox/v1', pollInterval: 3000 } );
