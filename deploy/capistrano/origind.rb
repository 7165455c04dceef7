# deploy/capistrano/origind.rb - publish assets to every origind node BEFORE
# Capistrano (3.x) or Capifony (Capistrano 2.x) puts new code, and so new HTML,
# on any web server.
#
# Why: in a rolling deploy the first upgraded server already renders HTML that
# names the new asset URLs while the others still cannot serve them. With
# origind the assets are on every node, verified, before the first server is
# touched; the HTML then only names URLs that every node answers identically.
#
# Install: copy to lib/capistrano/tasks/origind.rb (Capistrano 3, loaded by the
# Capfile's `Dir.glob("lib/capistrano/tasks/*.rb")`), or `load
# "deploy/capistrano/origind.rb"` at the end of app/config/deploy.rb (Capifony).
# Settings (all optional; the pipeline's own settings come from
# deploy/pipeline/<stage>.env or the environment, see deploy-assets.sh):
#   set :origind_pipeline,        "deploy/deploy-assets.sh"   # run on the deploy host
#   set :origind_manifest,        "var/assets-manifest.json"  # written by the pipeline
#   set :origind_remote_manifest, "var/assets-manifest.json"  # relative to the release
#
# The pipeline runs with --skip-html: it builds, pushes to every node and
# verifies; Capistrano then deploys the code (the HTML) as usual. If the push
# or the verify fails, the task raises and the deploy stops before any server
# changes.

if defined?(Capistrano::Configuration) && Capistrano::Configuration.respond_to?(:instance) &&
   Capistrano::Configuration.instance
  # ---- Capistrano 2 / Capifony ------------------------------------------------
  Capistrano::Configuration.instance(:must_exist).load do
    _cset(:origind_pipeline) { "deploy/deploy-assets.sh" }
    _cset(:origind_manifest) { "var/assets-manifest.json" }
    _cset(:origind_remote_manifest) { "var/assets-manifest.json" }

    namespace :origind do
      desc "Build assets, push them to every origind node and verify (before update_code)"
      task :publish, :roles => :web, :except => { :no_release => true } do
        stage_name = exists?(:stage) ? stage.to_s : "production"
        env = "RELEASE_ID=#{stage_name}-#{release_name} MANIFEST_OUT=#{origind_manifest}"
        run_locally "#{env} #{origind_pipeline} --skip-html #{stage_name}"
      end

      desc "Upload the asset manifest into the new release"
      task :upload_manifest, :roles => :web, :except => { :no_release => true } do
        top.upload origind_manifest, "#{latest_release}/#{origind_remote_manifest}"
      end
    end

    before "deploy:update_code", "origind:publish"
    after "deploy:finalize_update", "origind:upload_manifest"
  end
else
  # ---- Capistrano 3 -------------------------------------------------------------
  namespace :origind do
    desc "Build assets, push them to every origind node and verify (before any server changes)"
    task :publish do
      pipeline = fetch(:origind_pipeline, "deploy/deploy-assets.sh")
      manifest = fetch(:origind_manifest, "var/assets-manifest.json")
      stage_name = fetch(:stage).to_s
      run_locally do
        # `with` exports RELEASE_ID and MANIFEST_OUT to the pipeline.
        with release_id: "#{stage_name}-#{fetch(:release_timestamp)}", manifest_out: manifest do
          execute pipeline, "--skip-html", stage_name
        end
      end
    end

    desc "Upload the asset manifest into the new release"
    task :upload_manifest do
      manifest = fetch(:origind_manifest, "var/assets-manifest.json")
      remote = fetch(:origind_remote_manifest, "var/assets-manifest.json")
      on roles(:web) do
        execute :mkdir, "-p", release_path.join(File.dirname(remote))
        upload! manifest, release_path.join(remote).to_s
      end
    end
  end

  before "deploy:starting", "origind:publish"
  # After the code is in place, before deploy:publishing switches the symlink.
  after "deploy:updating", "origind:upload_manifest"
end
