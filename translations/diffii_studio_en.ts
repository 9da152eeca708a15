<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>QObject</name>
    <message>
        <location filename="../ui/main_window.cpp" line="+85"/>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
</context>
<context>
    <name>diffii::ui::CircleWidget</name>
    <message>
        <location filename="../ui/circle_widget.cpp" line="+106"/>
        <source>interpolation</source>
        <translation>interpolation</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>extrapolation</source>
        <translation>extrapolation</translation>
    </message>
</context>
<context>
    <name>diffii::ui::ConceptsPage</name>
    <message>
        <location filename="../ui/concepts_page.cpp" line="+82"/>
        <source>Concept learning teaches the model each class: a few placeholder tokens per class (textual inversion) and one LoRA shared by all classes are trained on the training subset, so that &quot;a photo of a &lt;tokens&gt; &lt;metaclass&gt;&quot; draws that class.</source>
        <translation>Concept learning teaches the model each class: a few placeholder tokens per class (textual inversion) and one LoRA shared by all classes are trained on the training subset, so that &quot;a photo of a &lt;tokens&gt; &lt;metaclass&gt;&quot; draws that class.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Training settings</source>
        <translation>Training settings</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Optimizer steps of the whole run (max_steps); a paused run resumes toward this number</source>
        <translation>Optimizer steps of the whole run (max_steps); a paused run resumes toward this number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Steps</source>
        <translation>&amp;Steps</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rank of the LoRA adapters in the UNet&apos;s attention layers: higher learns more detail, with more parameters</source>
        <translation>Rank of the LoRA adapters in the UNet&apos;s attention layers: higher learns more detail, with more parameters</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>LoRA &amp;rank</source>
        <translation>LoRA &amp;rank</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Learning rate of the placeholder token embeddings (textual inversion)</source>
        <translation>Learning rate of the placeholder token embeddings (textual inversion)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Embedding learning rate</source>
        <translation>&amp;Embedding learning rate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Learning rate of the shared LoRA weights</source>
        <translation>Learning rate of the shared LoRA weights</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;LoRA learning rate</source>
        <translation>&amp;LoRA learning rate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Images per micro-batch</source>
        <translation>Images per micro-batch</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Batch size</source>
        <translation>&amp;Batch size</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Micro-batches summed into one optimizer step: a larger effective batch without more memory</source>
        <translation>Micro-batches summed into one optimizer step: a larger effective batch without more memory</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Gradient &amp;accumulation</source>
        <translation>Gradient &amp;accumulation</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save a resumable checkpoint every N steps (0: only when paused and at the end)</source>
        <translation>Save a resumable checkpoint every N steps (0: only when paused and at the end)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pause and end only</source>
        <translation>pause and end only</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Checkpoint every</source>
        <translation>&amp;Checkpoint every</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Placeholder tokens learned for each class; more tokens can hold more detail</source>
        <translation>Placeholder tokens learned for each class; more tokens can hold more detail</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Tokens per class</source>
        <translation>&amp;Tokens per class</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The word whose embedding starts every class token; empty: the metaclass</source>
        <translation>The word whose embedding starts every class token; empty: the metaclass</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Init word</source>
        <translation>&amp;Init word</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Auto (follows the CPU)</source>
        <translation>Auto (follows the CPU)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>float32</source>
        <translation>float32</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>bfloat16</source>
        <translation>bfloat16</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Precision</source>
        <translation>&amp;Precision</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Seed of the noise, timesteps and image order: the same seed and settings train the same concepts</source>
        <translation>Seed of the noise, timesteps and image order: the same seed and settings train the same concepts</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>S&amp;eed</source>
        <translation>S&amp;eed</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+221"/>
        <source>&amp;Start</source>
        <translation>&amp;Start</translation>
    </message>
    <message>
        <location line="-219"/>
        <source>Save the settings and train; a paused run continues from its last checkpoint</source>
        <translation>Save the settings and train; a paused run continues from its last checkpoint</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Pause</source>
        <translation>&amp;Pause</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop after the current step and write a checkpoint; Start resumes from it (Esc)</source>
        <translation>Stop after the current step and write a checkpoint; Start resumes from it (Esc)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Restart</source>
        <translation>&amp;Restart</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Discard the checkpoint and train from step 0</source>
        <translation>Discard the checkpoint and train from step 0</translation>
    </message>
    <message>
        <location line="+288"/>
        <source>%1 (training: step %2)</source>
        <translation>%1 (training: step %2)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokens of the unfinished run; Resume trains them to the planned steps</source>
        <translation>Tokens of the unfinished run; Resume trains them to the planned steps</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Paused at step %1 of %2; Resume continues from the checkpoint</source>
        <translation>Paused at step %1 of %2; Resume continues from the checkpoint</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Concepts are trained (%1 steps); Start continues to more steps if you raise Steps, Restart trains again from scratch</source>
        <translation>Concepts are trained (%1 steps); Start continues to more steps if you raise Steps, Restart trains again from scratch</translation>
    </message>
    <message>
        <location line="-284"/>
        <source>Denoising loss per optimizer step (thin) and its exponential moving average (thick). The raw loss is noisy by nature: watch the average.</source>
        <translation>Denoising loss per optimizer step (thin) and its exponential moving average (thick). The raw loss is noisy by nature: watch the average.</translation>
    </message>
    <message>
        <location line="+311"/>
        <source>Auto trains a full-size model in bfloat16 where the CPU has it natively and it is faster than float32, otherwise in float32; the trained weights stay float32 either way. On this CPU: %1</source>
        <translation>Auto trains a full-size model in bfloat16 where the CPU has it natively and it is faster than float32, otherwise in float32; the trained weights stay float32 either way. On this CPU: %1</translation>
    </message>
    <message>
        <location line="-308"/>
        <location line="+11"/>
        <source>loss</source>
        <translation>loss</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>smoothed</source>
        <translation>smoothed</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>step</source>
        <translation>step</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Samples rendered while training: seeded noise denoised with each class prompt as learned so far (one class per sample, in turn)</source>
        <translation>Samples rendered while training: seeded noise denoised with each class prompt as learned so far (one class per sample, in turn)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Learned concepts</source>
        <translation>Learned concepts</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Class</source>
        <translation>Class</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The placeholder tokens that stand for each class in the prompts</source>
        <translation>The placeholder tokens that stand for each class in the prompts</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Restart concept learning</source>
        <translation>Restart concept learning</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Discard the trained concepts and checkpoints and train from step 0?</source>
        <translation>Discard the trained concepts and checkpoints and train from step 0?</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Finished: %1</source>
        <translation>Finished: %1</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Failed: %1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <location line="+183"/>
        <source>Not trained yet</source>
        <translation>Not trained yet</translation>
    </message>
    <message>
        <location line="-113"/>
        <source>Re&amp;sume</source>
        <translation>Re&amp;sume</translation>
    </message>
    <message>
        <location line="-201"/>
        <location line="+302"/>
        <source>step %1 / %2</source>
        <translation>step %1 / %2</translation>
    </message>
    <message>
        <location line="-84"/>
        <source>Resuming...</source>
        <translation>Resuming...</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Starting...</source>
        <translation>Starting...</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>ETA %1</source>
        <translation>ETA %1</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>(no training images)</source>
        <translation>(no training images)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>trained</source>
        <translation>trained</translation>
    </message>
    <message>
        <location filename="../ui/concepts_page.h" line="+31"/>
        <source>Concepts</source>
        <translation>Concepts</translation>
    </message>
</context>
<context>
    <name>diffii::ui::CuratePage</name>
    <message>
        <location filename="../ui/curate_page.cpp" line="+156"/>
        <location line="+200"/>
        <source>%1 #%2</source>
        <translation>%1 #%2</translation>
    </message>
    <message>
        <location line="-118"/>
        <location line="+185"/>
        <source>Accepted</source>
        <translation>Accepted</translation>
    </message>
    <message>
        <location line="-183"/>
        <location line="+184"/>
        <source>Rejected</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <location line="-182"/>
        <location line="+180"/>
        <location line="+160"/>
        <source>Pending</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location line="-169"/>
        <source>&amp;Class:</source>
        <translation>&amp;Class:</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>α from</source>
        <translation>α from</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>to</source>
        <translation>to</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>any</source>
        <translation>any</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rotation parameter α of the inversion circle (0: no bound)</source>
        <translation>Rotation parameter α of the inversion circle (0: no bound)</translation>
    </message>
    <message>
        <location line="-30"/>
        <source>s:</source>
        <translation>s:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Split point s of the two-stage denoising</source>
        <translation>Split point s of the two-stage denoising</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Su&amp;ffix:</source>
        <translation>Su&amp;ffix:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Source &amp;pair:</source>
        <translation>Source &amp;pair:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S&amp;tatus:</source>
        <translation>S&amp;tatus:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>All</source>
        <translation>All</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>No generated images yet. Set the generation settings and press &quot;Generate / Resume&quot; on the Export page.</source>
        <translation>No generated images yet. Set the generation settings and press &quot;Generate / Resume&quot; on the Export page.</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>&amp;Advance after marking</source>
        <translation>&amp;Advance after marking</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+243"/>
        <source>Select an image</source>
        <translation>Select an image</translation>
    </message>
    <message>
        <location line="-221"/>
        <source>Generated image</source>
        <translation>Generated image</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>File</source>
        <translation>File</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Class</source>
        <translation>Class</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>α</source>
        <translation>α</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>θ</source>
        <translation>θ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Region</source>
        <translation>Region</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>s</source>
        <translation>s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suffix</source>
        <translation>Suffix</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sources</source>
        <translation>Sources</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tags</source>
        <translation>Tags</translation>
    </message>
    <message>
        <location line="-25"/>
        <location line="+424"/>
        <source>Tags, comma-separated (Enter saves, Esc cancels)</source>
        <translation>Tags, comma-separated (Enter saves, Esc cancels)</translation>
    </message>
    <message>
        <location line="-532"/>
        <source>Ta&amp;g:</source>
        <translation>Ta&amp;g:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show only the images with this tag, or those without tags</source>
        <translation>Show only the images with this tag, or those without tags</translation>
    </message>
    <message>
        <location line="+75"/>
        <source>Keys: A accept · R reject · U pending · T tags · ←/→ previous/next · Shift/Ctrl-click select several · Ctrl+Z undo</source>
        <translation>Keys: A accept · R reject · U pending · T tags · ←/→ previous/next · Shift/Ctrl-click select several · Ctrl+Z undo</translation>
    </message>
    <message>
        <location line="+79"/>
        <location line="+343"/>
        <source>Accept</source>
        <translation>Accept</translation>
    </message>
    <message>
        <location line="-343"/>
        <source>Accept (A)</source>
        <translation>Accept (A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+342"/>
        <source>Reject</source>
        <translation>Reject</translation>
    </message>
    <message>
        <location line="-342"/>
        <source>Reject (R): left out of the export</source>
        <translation>Reject (R): left out of the export</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to pending (U)</source>
        <translation>Back to pending (U)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tags...</source>
        <translation>Tags...</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit tags (T)</source>
        <translation>Edit tags (T)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Nearest real image</source>
        <translation>Nearest real image</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The class&apos;s training image with the smallest pixel distance (L2 over 32×32 RGB thumbnails): a near copy suggests the image adds little.</source>
        <translation>The class&apos;s training image with the smallest pixel distance (L2 over 32×32 RGB thumbnails): a near copy suggests the image adds little.</translation>
    </message>
    <message>
        <location line="+101"/>
        <source>All classes</source>
        <translation>All classes</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Any s</source>
        <translation>Any s</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+82"/>
        <source>(no suffix)</source>
        <translation>(no suffix)</translation>
    </message>
    <message>
        <location line="-81"/>
        <source>Any suffix</source>
        <translation>Any suffix</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Any pair</source>
        <translation>Any pair</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>(untagged)</source>
        <translation>(untagged)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Any tag</source>
        <translation>Any tag</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>%1 of %2 shown · %3 accepted · %4 rejected</source>
        <translation>%1 of %2 shown · %3 accepted · %4 rejected</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 selected</source>
        <translation>%1 selected</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Gaussian noise (the class has one training image)</source>
        <translation>Gaussian noise (the class has one training image)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 (period 2π/θ = %2)</source>
        <translation>%1 (period 2π/θ = %2)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 rad (%2°)</source>
        <translation>%1 rad (%2°)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interpolation</source>
        <translation>Interpolation</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Extrapolation</source>
        <translation>Extrapolation</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>No training images of this class</source>
        <translation>No training images of this class</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Searching...</source>
        <translation>Searching...</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The image cannot be read</source>
        <translation>The image cannot be read</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No readable training image</source>
        <translation>No readable training image</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Distance %1 (L2 over 32×32 RGB in [0, 1])</source>
        <translation>Distance %1 (L2 over 32×32 RGB in [0, 1])</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>Mark pending</source>
        <translation>Mark pending</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 %2 images</source>
        <translation>%1 %2 images</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Tags of the %1 selected images, comma-separated (Enter saves, Esc cancels)</source>
        <translation>Tags of the %1 selected images, comma-separated (Enter saves, Esc cancels)</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Edit tags</source>
        <translation>Edit tags</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit tags of %1 images</source>
        <translation>Edit tags of %1 images</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Accept the selected images</source>
        <translation>Accept the selected images</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reject the selected images</source>
        <translation>Reject the selected images</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Mark the selected images pending</source>
        <translation>Mark the selected images pending</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit the tags of the selected images</source>
        <translation>Edit the tags of the selected images</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Previous image</source>
        <translation>Previous image</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Next image</source>
        <translation>Next image</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add the previous image to the selection</source>
        <translation>Add the previous image to the selection</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Add the next image to the selection</source>
        <translation>Add the next image to the selection</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+16"/>
        <source>&amp;Undo curation</source>
        <translation>&amp;Undo curation</translation>
    </message>
    <message>
        <location line="-13"/>
        <location line="+16"/>
        <source>&amp;Redo curation</source>
        <translation>&amp;Redo curation</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>&amp;Undo: %1</source>
        <translation>&amp;Undo: %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Redo: %1</source>
        <translation>&amp;Redo: %1</translation>
    </message>
    <message>
        <location filename="../ui/curate_page.h" line="+41"/>
        <source>Curate</source>
        <translation>Curate</translation>
    </message>
</context>
<context>
    <name>diffii::ui::DatasetPage</name>
    <message>
        <location filename="../ui/dataset_page.cpp" line="+139"/>
        <source>&lt;h2&gt;Open a project or create one from a dataset folder&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;Open a project or create one from a dataset folder&lt;/h2&gt;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A dataset folder holds one sub-folder of images per class (ImageFolder layout). A project keeps the trained concepts, the inversion pool and the synthetic images made from it.</source>
        <translation>A dataset folder holds one sub-folder of images per class (ImageFolder layout). A project keeps the trained concepts, the inversion pool and the synthetic images made from it.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>&amp;New project...</source>
        <translation>&amp;New project...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Create a project from a dataset folder and a Stable Diffusion model folder (Ctrl+N)</source>
        <translation>Create a project from a dataset folder and a Stable Diffusion model folder (Ctrl+N)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open project...</source>
        <translation>&amp;Open project...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open an existing project folder (Ctrl+O)</source>
        <translation>Open an existing project folder (Ctrl+O)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&lt;b&gt;Recent projects&lt;/b&gt;</source>
        <translation>&lt;b&gt;Recent projects&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Click a project to open it</source>
        <translation>Click a project to open it</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>%1 — %2 (not found)</source>
        <translation>%1 — %2 (not found)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: there is no project.json here any more</source>
        <translation>%1: there is no project.json here any more</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>The metaclass is the common kind of every class (e.g. &quot;bird&quot;). It ends the class prompt &quot;a photo of a &lt;class tokens&gt; &lt;metaclass&gt;&quot; and initialises the learned concept tokens.</source>
        <translation>The metaclass is the common kind of every class (e.g. &quot;bird&quot;). It ends the class prompt &quot;a photo of a &lt;class tokens&gt; &lt;metaclass&gt;&quot; and initialises the learned concept tokens.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Problems found in the dataset folder: empty classes are left out; a class with a single image has no partner for circle interpolation and is paired with noise.</source>
        <translation>Problems found in the dataset folder: empty classes are left out; a class with a single image has no partner for circle interpolation and is paired with noise.</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Class</source>
        <translation>Class</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Images</source>
        <translation>Images</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Images of the class in the training subset: concepts are learned and inverted from these only</source>
        <translation>Images of the class in the training subset: concepts are learned and inverted from these only</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Few-shot / long-tail subset</source>
        <translation>Few-shot / long-tail subset</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The training images Diff-II uses: all of them, K per class (few-shot), or an imbalanced long-tail subset. Changing it makes trained concepts and the inversion pool stale.</source>
        <translation>The training images Diff-II uses: all of them, K per class (few-shot), or an imbalanced long-tail subset. Changing it makes trained concepts and the inversion pool stale.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>All images</source>
        <translation>All images</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>K-shot</source>
        <translation>K-shot</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Long-tail</source>
        <translation>Long-tail</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Method</source>
        <translation>&amp;Method</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Training images per class (classes with fewer keep all of theirs)</source>
        <translation>Training images per class (classes with fewer keep all of theirs)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;K per class</source>
        <translation>&amp;K per class</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Ratio of the largest to the smallest class: the per-class counts decay exponentially from &quot;max per class&quot; down to max / factor</source>
        <translation>Ratio of the largest to the smallest class: the per-class counts decay exponentially from &quot;max per class&quot; down to max / factor</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Imbalance factor</source>
        <translation>&amp;Imbalance factor</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Training images of the head (largest) class</source>
        <translation>Training images of the head (largest) class</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max &amp;per class</source>
        <translation>Max &amp;per class</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Which images are drawn; the same seed gives the same subset</source>
        <translation>Which images are drawn; the same seed gives the same subset</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S&amp;eed</source>
        <translation>S&amp;eed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Apply subset</source>
        <translation>&amp;Apply subset</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the subset as split.json in the project</source>
        <translation>Save the subset as split.json in the project</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>&amp;Training images only</source>
        <translation>&amp;Training images only</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Hide the images the subset leaves out (shown greyed otherwise)</source>
        <translation>Hide the images the subset leaves out (shown greyed otherwise)</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; dataset &lt;code&gt;%2&lt;/code&gt; &amp;nbsp; model &lt;code&gt;%3&lt;/code&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; dataset &lt;code&gt;%2&lt;/code&gt; &amp;nbsp; model &lt;code&gt;%3&lt;/code&gt;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Project folder: %1</source>
        <translation>Project folder: %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Metaclass: &lt;b&gt;%1&lt;/b&gt;</source>
        <translation>Metaclass: &lt;b&gt;%1&lt;/b&gt;</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>%n class(es), %1 images, %2 in the training subset</source>
        <translation>
            <numerusform>%n class, %1 images, %2 in the training subset</numerusform>
            <numerusform>%n classes, %1 images, %2 in the training subset</numerusform>
        </translation>
    </message>
    <message>
        <location line="+29"/>
        <source>one image</source>
        <translation>one image</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A single image has no partner for circle interpolation: Diff-II pairs its inversion with Gaussian noise, so the synthetic images vary less</source>
        <translation>A single image has no partner for circle interpolation: Diff-II pairs its inversion with Gaussian noise, so the synthetic images vary less</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>one training image</source>
        <translation>one training image</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The subset keeps one image of this class: its inversion is paired with noise</source>
        <translation>The subset keeps one image of this class: its inversion is paired with noise</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>no training images</source>
        <translation>no training images</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The subset leaves this class out: no concept is learned for it</source>
        <translation>The subset leaves this class out: no concept is learned for it</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>&lt;b&gt;%1&lt;/b&gt;: %2 of %3 images in the training subset</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;: %2 of %3 images in the training subset</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Change the training subset</source>
        <translation>Change the training subset</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The trained concepts and the inversion pool were made from the current subset and become stale. Change the subset?</source>
        <translation>The trained concepts and the inversion pool were made from the current subset and become stale. Change the subset?</translation>
    </message>
    <message>
        <location filename="../ui/dataset_page.h" line="+29"/>
        <source>Dataset</source>
        <translation>Dataset</translation>
    </message>
</context>
<context>
    <name>diffii::ui::EngineWorker</name>
    <message>
        <location filename="../ui/engine_worker.cpp" line="+193"/>
        <source>Concept learning history not read: %1</source>
        <translation>Concept learning history not read: %1</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>Created %1</source>
        <translation>Created %1</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Opened %1</source>
        <translation>Opened %1</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Demo project ready: %1 inversions in %2</source>
        <translation>Demo project ready: %1 inversions in %2</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>%1 training images</source>
        <translation>%1 training images</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>%1 suffixes from %2 captions</source>
        <translation>%1 suffixes from %2 captions</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1 steps, loss %2</source>
        <translation>%1 steps, loss %2</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 inversions</source>
        <translation>%1 inversions</translation>
    </message>
    <message>
        <location line="+108"/>
        <source>%1 new images (%2 already made); the set holds %3: %4 accepted, %5 rejected, %6 pending</source>
        <translation>%1 new images (%2 already made); the set holds %3: %4 accepted, %5 rejected, %6 pending</translation>
    </message>
    <message>
        <location line="+77"/>
        <source>job %1 submitted: %2 shards</source>
        <translation>job %1 submitted: %2 shards</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>job %1 submitted: shards %2 again</source>
        <translation>job %1 submitted: shards %2 again</translation>
    </message>
    <message>
        <location line="+130"/>
        <source>X/Y grid: %1 images</source>
        <translation>X/Y grid: %1 images</translation>
    </message>
    <message>
        <location line="-148"/>
        <source>%1 images exported to %2</source>
        <translation>%1 images exported to %2</translation>
    </message>
    <message>
        <location line="+82"/>
        <source>%1 strategies evaluated</source>
        <translation>%1 strategies evaluated</translation>
    </message>
</context>
<context>
    <name>diffii::ui::EvaluatePage</name>
    <message>
        <location filename="../ui/evaluate_page.cpp" line="+71"/>
        <source>Strategies</source>
        <translation>Strategies</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Original (real images only)</source>
        <translation>Original (real images only)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mixup (mixes two training images)</source>
        <translation>Mixup (mixes two training images)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CutMix (pastes a patch of another image)</source>
        <translation>CutMix (pastes a patch of another image)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Real-Guidance (img2img, plain prompt)</source>
        <translation>Real-Guidance (img2img, plain prompt)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>DA-Fusion (img2img, learned tokens)</source>
        <translation>DA-Fusion (img2img, learned tokens)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-AUG (img2img, learned tokens)</source>
        <translation>Diff-AUG (img2img, learned tokens)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-Mix (img2img with another class&apos;s tokens)</source>
        <translation>Diff-Mix (img2img with another class&apos;s tokens)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-Gen (text to image, learned tokens)</source>
        <translation>Diff-Gen (text to image, learned tokens)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-II (inversion circle interpolation)</source>
        <translation>Diff-II (inversion circle interpolation)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Classifier runs</source>
        <translation>Classifier runs</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Classifiers per strategy, each with its own seed: the table shows mean ± std</source>
        <translation>Classifiers per strategy, each with its own seed: the table shows mean ± std</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seeds</source>
        <translation>Seeds</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Epochs</source>
        <translation>Epochs</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Synthetic images per training image, for every synthesis strategy</source>
        <translation>Synthetic images per training image, for every synthesis strategy</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expansion rate</source>
        <translation>Expansion rate</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>e.g. 0.3, 0.7</source>
        <translation>e.g. 0.3, 0.7</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Split ratios s, separated by commas: Diff-II is evaluated at each of them as well, one point per s in the diversity-against-faithfulness plot</source>
        <translation>Split ratios s, separated by commas: Diff-II is evaluated at each of them as well, one point per s in the diversity-against-faithfulness plot</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Diff-II also at s</source>
        <translation>Diff-II also at s</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Run evaluation</source>
        <translation>Run evaluation</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Generates the missing synthetic images and trains the classifiers; finished runs are kept, so a stopped evaluation resumes</source>
        <translation>Generates the missing synthetic images and trains the classifiers; finished runs are kept, so a stopped evaluation resumes</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop</source>
        <translation>Stop</translation>
    </message>
    <message>
        <location line="-67"/>
        <location line="+77"/>
        <source>Choose strategies and run.</source>
        <translation>Choose strategies and run.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Save plots</source>
        <translation>Save plots</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Saves the three plots as PNG beside table.md and table.csv</source>
        <translation>Saves the three plots as PNG beside table.md and table.csv</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Strategy</source>
        <translation>Strategy</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Accuracy (%)</source>
        <translation>Accuracy (%)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Runs</source>
        <translation>Runs</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Diversity</source>
        <translation>Diversity</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Faithfulness (%)</source>
        <translation>Faithfulness (%)</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Accuracy</source>
        <translation>Accuracy</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diversity and faithfulness</source>
        <translation>Diversity and faithfulness</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Confusion matrix</source>
        <translation>Confusion matrix</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>ETA %1</source>
        <translation>ETA %1</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Failed: %1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped: finished runs are kept, and running again resumes.</source>
        <translation>Stopped: finished runs are kept, and running again resumes.</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Diff-II also at s: %1 is not a split ratio in (0, 1]; separate ratios with commas</source>
        <translation>Diff-II also at s: %1 is not a split ratio in (0, 1]; separate ratios with commas</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Starting...</source>
        <translation>Starting...</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Original</source>
        <translation>Original</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-II (s = %1)</source>
        <translation>Diff-II (s = %1)</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>top-1 accuracy (%)</source>
        <translation>top-1 accuracy (%)</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>diversity (%1)</source>
        <translation>diversity (%1)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>faithfulness (%)</source>
        <translation>faithfulness (%)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Saved to %1 (results.json, table.md, table.csv)</source>
        <translation>Saved to %1 (results.json, table.md, table.csv)</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>predicted class</source>
        <translation>predicted class</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>true class (top: first)</source>
        <translation>true class (top: first)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Plots saved to %1</source>
        <translation>Plots saved to %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The plots could not be saved in %1 (is the folder there and writable?)</source>
        <translation>The plots could not be saved in %1 (is the folder there and writable?)</translation>
    </message>
    <message>
        <location filename="../ui/evaluate_page.h" line="+30"/>
        <source>Evaluate</source>
        <translation>Evaluate</translation>
    </message>
</context>
<context>
    <name>diffii::ui::ExportPage</name>
    <message>
        <location filename="../ui/export_page.cpp" line="+61"/>
        <source>Generation</source>
        <translation>Generation</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Synthetic images per training image of each class (at least one per class)</source>
        <translation>Synthetic images per training image of each class (at least one per class)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Expansion rate</source>
        <translation>&amp;Expansion rate</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>DDIM denoising steps per image</source>
        <translation>DDIM denoising steps per image</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Denoising steps</source>
        <translation>&amp;Denoising steps</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Classifier-free guidance scale; the project&apos;s setting, shared with the Preview page</source>
        <translation>Classifier-free guidance scale; the project&apos;s setting, shared with the Preview page</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Guidance (CFG)</source>
        <translation>&amp;Guidance (CFG)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Split point s of the two-stage denoising: the fraction of steps conditioned on the class prompt alone before the scene suffix joins</source>
        <translation>Split point s of the two-stage denoising: the fraction of steps conditioned on the class prompt alone before the scene suffix joins</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>S&amp;plit s</source>
        <translation>S&amp;plit s</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>e.g. blurry, low quality, watermark</source>
        <translation>e.g. blurry, low quality, watermark</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Negative prompt</source>
        <translation>&amp;Negative prompt</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Planned</source>
        <translation>Planned</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scene &amp;suffixes</source>
        <translation>Scene &amp;suffixes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Generate / Resume</source>
        <translation>Generate / Resume</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Saves the settings in the project and generates the missing images; finished images with the same settings are kept, so a stopped run resumes</source>
        <translation>Saves the settings in the project and generates the missing images; finished images with the same settings are kept, so a stopped run resumes</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The scene suffixes appended to the class prompt in the second stage, one drawn per image; double-click to edit. Saved in the project (suffixes.txt), shared with the Preview page</source>
        <translation>The scene suffixes appended to the class prompt in the second stage, one drawn per image; double-click to edit. Saved in the project (suffixes.txt), shared with the Preview page</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Add</source>
        <translation>&amp;Add</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;move</source>
        <translation>Re&amp;move</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>%1 images: %2 classes, %3 training images × expansion %4 (at least one a class)</source>
        <translation>%1 images: %2 classes, %3 training images × expansion %4 (at least one a class)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Synthetic set</source>
        <translation>Synthetic set</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Generated</source>
        <translation>Generated</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accepted</source>
        <translation>Accepted</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rejected</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pending</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+247"/>
        <source>No images generated yet.</source>
        <translation>No images generated yet.</translation>
    </message>
    <message>
        <location line="-239"/>
        <location filename="../ui/export_page.h" line="+26"/>
        <source>Export</source>
        <translation>Export</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Output folder:</source>
        <translation>&amp;Output folder:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Browse...</source>
        <translation>&amp;Browse...</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The export is an ImageFolder (one folder per class) with manifest.csv and manifest.jsonl. Rejected images are left out; accepted and pending images are exported. When a classifier is trained on it, each real image is replaced by a synthetic image of its class with probability 0.5 (recorded in the manifest).</source>
        <translation>The export is an ImageFolder (one folder per class) with manifest.csv and manifest.jsonl. Rejected images are left out; accepted and pending images are exported. When a classifier is trained on it, each real image is replaced by a synthetic image of its class with probability 0.5 (recorded in the manifest).</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>E&amp;xport</source>
        <translation>E&amp;xport</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open &amp;folder</source>
        <translation>Open &amp;folder</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Open a project to generate images.</source>
        <translation>Open a project to generate images.</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Generation stopped; finished images are kept. Press &quot;Generate / Resume&quot; to continue.</source>
        <translation>Generation stopped; finished images are kept. Press &quot;Generate / Resume&quot; to continue.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Export stopped.</source>
        <translation>Export stopped.</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>Ready to generate.</source>
        <translation>Ready to generate.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Starting generation...</source>
        <translation>Starting generation...</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Export folder not empty</source>
        <translation>Export folder not empty</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 holds files that are not an earlier export of this set. Export into it anyway? Files with the same names are replaced.</source>
        <translation>%1 holds files that are not an earlier export of this set. Export into it anyway? Files with the same names are replaced.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Exporting to %1...</source>
        <translation>Exporting to %1...</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Export folder</source>
        <translation>Export folder</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No export folder given.</source>
        <translation>No export folder given.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cannot open %1: the folder does not exist yet (Export creates it).</source>
        <translation>Cannot open %1: the folder does not exist yet (Export creates it).</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cannot open %1: no file manager answered. The folder is there; open it by hand.</source>
        <translation>Cannot open %1: no file manager answered. The folder is there; open it by hand.</translation>
    </message>
    <message>
        <location line="+61"/>
        <source>%1 generated: %2 accepted, %3 rejected, %4 pending curation</source>
        <translation>%1 generated: %2 accepted, %3 rejected, %4 pending curation</translation>
    </message>
    <message>
        <location line="-34"/>
        <source>Generating</source>
        <translation>Generating</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Exporting</source>
        <translation>Exporting</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: %2 of %3 %4</source>
        <translation>%1: %2 of %3 %4</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Generation finished: %1. Curate the images on the Curate page.</source>
        <translation>Generation finished: %1. Curate the images on the Curate page.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Export finished: %1.</source>
        <translation>Export finished: %1.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 failed: %2</source>
        <translation>%1 failed: %2</translation>
    </message>
</context>
<context>
    <name>diffii::ui::GridDialog</name>
    <message>
        <location filename="../ui/grid_dialog.cpp" line="+36"/>
        <location line="+38"/>
        <source>X/Y grid</source>
        <translation>X/Y grid</translation>
    </message>
    <message>
        <location line="-37"/>
        <source>%1 · %2 steps · guidance %3 · s %4 · suffix: %5</source>
        <translation>%1 · %2 steps · guidance %3 · s %4 · suffix: %5</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+135"/>
        <location line="+28"/>
        <location filename="../ui/xy_grid.cpp" line="+56"/>
        <source>(none)</source>
        <translation>(none)</translation>
    </message>
    <message>
        <location line="-161"/>
        <source>Renders the pair chosen on the Preview page once per combination of two axes, with its other settings. Values: a list (0, 0.25, 0.5), a range with a count (0-1 [5]) or with a step (1-9 (+2)); suffixes are separated by |.</source>
        <translation>Renders the pair chosen on the Preview page once per combination of two axes, with its other settings. Values: a list (0, 0.25, 0.5), a range with a count (0-1 [5]) or with a step (1-9 (+2)); suffixes are separated by |.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>X (columns)</source>
        <translation>X (columns)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Y (rows)</source>
        <translation>Y (rows)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Choose the axes and press Render.</source>
        <translation>Choose the axes and press Render.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Render</source>
        <translation>Render</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Export PNG…</source>
        <translation>Export PNG…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the labelled grid as one PNG</source>
        <translation>Save the labelled grid as one PNG</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Cancelling…</source>
        <translation>Cancelling…</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+146"/>
        <source>Rendering…</source>
        <translation>Rendering…</translation>
    </message>
    <message>
        <location line="-138"/>
        <source>cancelled; the cells done are kept</source>
        <translation>cancelled; the cells done are kept</translation>
    </message>
    <message>
        <location line="+11"/>
        <location filename="../ui/xy_grid.cpp" line="-15"/>
        <source>α (turns of the circle)</source>
        <translation>α (turns of the circle)</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>split ratio s</source>
        <translation>split ratio s</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>suffix</source>
        <translation>suffix</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>seed</source>
        <translation>seed</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>guidance</source>
        <translation>guidance</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>α in turns of the circle from z1 towards z2: 0 is z1, θ/2π is z2, 0.5 is −z1 (α = (1 − turn)·2π/θ). Seed: α drawn from the seed as the generator does (when α is not the other axis), and the noise of a one-image class.</source>
        <translation>α in turns of the circle from z1 towards z2: 0 is z1, θ/2π is z2, 0.5 is −z1 (α = (1 − turn)·2π/θ). Seed: α drawn from the seed as the generator does (when α is not the other axis), and the noise of a one-image class.</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>X</source>
        <translation>X</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Y</source>
        <translation>Y</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1: no suffixes</source>
        <translation>%1: no suffixes</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1: s must lie in [0, 1]</source>
        <translation>%1: s must lie in [0, 1]</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: seeds are whole numbers ≥ 0</source>
        <translation>%1: seeds are whole numbers ≥ 0</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: guidance must lie in [0, %2]</source>
        <translation>%1: guidance must lie in [0, %2]</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Choose two different axes</source>
        <translation>Choose two different axes</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 cells: at most %2</source>
        <translation>%1 cells: at most %2</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Queued after the running job…</source>
        <translation>Queued after the running job…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Waiting for the first image…</source>
        <translation>Waiting for the first image…</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 of %2 images</source>
        <translation>%1 of %2 images</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>%1 images</source>
        <translation>%1 images</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Grid stopped: %1</source>
        <translation>Grid stopped: %1</translation>
    </message>
    <message>
        <location line="+36"/>
        <location line="+10"/>
        <source>Export grid</source>
        <translation>Export grid</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>%1 could not be written: %2</source>
        <translation>%1 could not be written: %2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Saved %1</source>
        <translation>Saved %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>PNG images (*.png)</source>
        <translation>PNG images (*.png)</translation>
    </message>
    <message>
        <location filename="../ui/xy_grid.cpp" line="+15"/>
        <source>α = %1 turn</source>
        <translation>α = %1 turn</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>s = %1</source>
        <translation>s = %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>seed %1</source>
        <translation>seed %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>guidance %1</source>
        <translation>guidance %1</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>%1: the count must be 1 to %2</source>
        <translation>%1: the count must be 1 to %2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1: the step must be positive</source>
        <translation>%1: the step must be positive</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>“%1” is neither a number nor a range such as 0-1 [5] or 1-9 (+2)</source>
        <translation>“%1” is neither a number nor a range such as 0-1 [5] or 1-9 (+2)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>more than %1 values</source>
        <translation>more than %1 values</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no values</source>
        <translation>no values</translation>
    </message>
</context>
<context>
    <name>diffii::ui::Jobs</name>
    <message>
        <location filename="../ui/engine_worker.cpp" line="-578"/>
        <source>open</source>
        <translation>open</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>create</source>
        <translation>create</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>demo</source>
        <translation>demo</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>split</source>
        <translation>split</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>settings</source>
        <translation>settings</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>suffixes</source>
        <translation>suffixes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>concepts</source>
        <translation>concepts</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pool</source>
        <translation>pool</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pool-list</source>
        <translation>pool-list</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>preview</source>
        <translation>preview</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>strip</source>
        <translation>strip</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sweep</source>
        <translation>sweep</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>generation</source>
        <translation>generation</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>curate</source>
        <translation>curate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>export</source>
        <translation>export</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>slurm</source>
        <translation>slurm</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>evaluate</source>
        <translation>evaluate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>grid</source>
        <translation>grid</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>import</source>
        <translation>import</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>validate</source>
        <translation>validate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>tokenizer</source>
        <translation>tokenizer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>reading images</source>
        <translation>reading images</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>scan</source>
        <translation>scan</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>load</source>
        <translation>load</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>latents</source>
        <translation>latents</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>inversion</source>
        <translation>inversion</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>inversion pool</source>
        <translation>inversion pool</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>denoising</source>
        <translation>denoising</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>contact sheets</source>
        <translation>contact sheets</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>classifier</source>
        <translation>classifier</translation>
    </message>
</context>
<context>
    <name>diffii::ui::Lightbox</name>
    <message>
        <location filename="../ui/lightbox.cpp" line="+54"/>
        <source>View full size</source>
        <translation>View full size</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy image</source>
        <translation>Copy image</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save image as…</source>
        <translation>Save image as…</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+233"/>
        <location line="+14"/>
        <source>Save image</source>
        <translation>Save image</translation>
    </message>
    <message>
        <location line="-241"/>
        <location line="+241"/>
        <source>PNG images (*.png)</source>
        <translation>PNG images (*.png)</translation>
    </message>
    <message>
        <location line="-187"/>
        <source>%1 (%2×%3)</source>
        <translation>%1 (%2×%3)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Image</source>
        <translation>Image</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Zoom in (+)</source>
        <translation>Zoom in (+)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Zoom out (−)</source>
        <translation>Zoom out (−)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Fit (0)</source>
        <translation>Fit (0)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>1:1 (1)</source>
        <translation>1:1 (1)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy</source>
        <translation>Copy</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy the image at full resolution to the clipboard (Ctrl+C)</source>
        <translation>Copy the image at full resolution to the clipboard (Ctrl+C)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save…</source>
        <translation>Save…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the image at full resolution as PNG (Ctrl+S)</source>
        <translation>Save the image at full resolution as PNG (Ctrl+S)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Sources side by side (S)</source>
        <translation>Sources side by side (S)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show the images this one was made from beside it, scaled to its height</source>
        <translation>Show the images this one was made from beside it, scaled to its height</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>this image</source>
        <translation>this image</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>%1 could not be written: %2</source>
        <translation>%1 could not be written: %2</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>x %1, y %2: RGB %3 %4 %5</source>
        <translation>x %1, y %2: RGB %3 %4 %5</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Double-click to view at full size (zoom, save, copy)</source>
        <translation>Double-click to view at full size (zoom, save, copy)</translation>
    </message>
</context>
<context>
    <name>diffii::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="+6"/>
        <location line="+401"/>
        <source>Diff-II Studio</source>
        <translation>Diff-II Studio</translation>
    </message>
    <message>
        <location line="-391"/>
        <location line="+389"/>
        <source>%1. %2</source>
        <translation>%1. %2</translation>
    </message>
    <message>
        <location line="-368"/>
        <location line="+371"/>
        <source>Idle</source>
        <translation>Idle</translation>
    </message>
    <message>
        <location line="-362"/>
        <location line="+363"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location line="-362"/>
        <location line="+363"/>
        <source>Stop the running job (Esc); finished work is kept and the job resumes later</source>
        <translation>Stop the running job (Esc); finished work is kept and the job resumes later</translation>
    </message>
    <message>
        <location line="-351"/>
        <source>Ready</source>
        <translation>Ready</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Concept learning paused; Resume on the Concepts page continues from its checkpoint</source>
        <translation>Concept learning paused; Resume on the Concepts page continues from its checkpoint</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 cancelled; finished work is kept</source>
        <translation>%1 cancelled; finished work is kept</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Running: %1</source>
        <translation>Running: %1</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>&amp;Project</source>
        <translation>&amp;Project</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New project...</source>
        <translation>&amp;New project...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Open project...</source>
        <translation>&amp;Open project...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open &amp;demo project (emoji birds)</source>
        <translation>Open &amp;demo project (emoji birds)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;recent</source>
        <translation>Open &amp;recent</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Preferences...</source>
        <translation>&amp;Preferences...</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Quit</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Edit</source>
        <translation>&amp;Edit</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;View</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Go</source>
        <translation>&amp;Go</translation>
    </message>
    <message>
        <location line="-50"/>
        <location line="+333"/>
        <source>Cancel job</source>
        <translation>Cancel job</translation>
    </message>
    <message>
        <location line="-278"/>
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Keyboard shortcuts</source>
        <translation>&amp;Keyboard shortcuts</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;About Diff-II Studio</source>
        <translation>&amp;About Diff-II Studio</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>&lt;b&gt;Diff-II Studio&lt;/b&gt; %1&lt;br&gt;Diffusion-based image augmentation for data-scarce classification: concept learning, inversion circle interpolation and two-stage denoising.</source>
        <translation>&lt;b&gt;Diff-II Studio&lt;/b&gt; %1&lt;br&gt;Diffusion-based image augmentation for data-scarce classification: concept learning, inversion circle interpolation and two-stage denoising.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Engine</source>
        <translation>Engine</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Version %1
LibTorch %2
Qt %3 (built with %4)</source>
        <translation>Version %1
LibTorch %2
Qt %3 (built with %4)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>About Diff-II Studio</source>
        <translation>About Diff-II Studio</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>This computer (as diffii info --system prints it)</source>
        <translation>This computer (as diffii info --system prints it)</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Everywhere</source>
        <translation>Everywhere</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Keyboard shortcuts</source>
        <translation>Keyboard shortcuts</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Where</source>
        <translation>Where</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Keys</source>
        <translation>Keys</translation>
    </message>
    <message>
        <location line="+22"/>
        <location line="+179"/>
        <source>Log</source>
        <translation>Log</translation>
    </message>
    <message>
        <location line="-161"/>
        <source>warning: </source>
        <translation>warning: </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>error: </source>
        <translation>error: </translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 started</source>
        <translation>%1 started</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1: %2 of %3</source>
        <translation>%1: %2 of %3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: %2 of %3 (%4)</source>
        <translation>%1: %2 of %3 (%4)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 finished in %2 s</source>
        <translation>%1 finished in %2 s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 finished in %2 s: %3</source>
        <translation>%1 finished in %2 s: %3</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 cancelled after %2 s; finished work is kept</source>
        <translation>%1 cancelled after %2 s; finished work is kept</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 failed after %2 s: %3</source>
        <translation>%1 failed after %2 s: %3</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Project %1 open (%2)</source>
        <translation>Project %1 open (%2)</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Open project</source>
        <translation>Open project</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The last project, %1, is no longer there; open or create a project</source>
        <translation>The last project, %1, is no longer there; open or create a project</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Reopening the last project, %1</source>
        <translation>Reopening the last project, %1</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1 (not found)</source>
        <translation>%1 (not found)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ETA %1</source>
        <translation>ETA %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+3"/>
        <source>%1 failed</source>
        <translation>%1 failed</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+15"/>
        <source>%1 - Diff-II Studio</source>
        <translation>%1 - Diff-II Studio</translation>
    </message>
</context>
<context>
    <name>diffii::ui::NewProjectDialog</name>
    <message>
        <location filename="../ui/new_project_dialog.cpp" line="+89"/>
        <source>New project</source>
        <translation>New project</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A new or empty folder</source>
        <translation>A new or empty folder</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>One subfolder of images per class</source>
        <translation>One subfolder of images per class</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Project folder</source>
        <translation>Project folder</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Dataset (one folder per class)</source>
        <translation>Dataset (one folder per class)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Dataset folder</source>
        <translation>Dataset folder</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Stable Diffusion model (diffusers)</source>
        <translation>Stable Diffusion model (diffusers)</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>Model folder</source>
        <translation>Model folder</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>A diffusers folder with model_index.json, or a single .safetensors checkpoint</source>
        <translation>A diffusers folder with model_index.json, or a single .safetensors checkpoint</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>File...</source>
        <translation>File...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pick a single-file checkpoint (.safetensors in the original SD 1.x / 2.x layout)</source>
        <translation>Pick a single-file checkpoint (.safetensors in the original SD 1.x / 2.x layout)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Single-file checkpoint</source>
        <translation>Single-file checkpoint</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Metaclass</source>
        <translation>Metaclass</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Create</source>
        <translation>Create</translation>
    </message>
    <message>
        <location line="+25"/>
        <location line="+7"/>
        <location line="+139"/>
        <location line="+31"/>
        <source>Checking...</source>
        <translation>Checking...</translation>
    </message>
    <message>
        <location line="-142"/>
        <source>Browse...</source>
        <translation>Browse...</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Choose a new or empty folder for the project</source>
        <translation>Choose a new or empty folder for the project</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+43"/>
        <location line="+32"/>
        <source>Give the full path of the folder</source>
        <translation>Give the full path of the folder</translation>
    </message>
    <message>
        <location line="-68"/>
        <source>Inside the dataset folder: the project would be read as a class of the dataset</source>
        <translation>Inside the dataset folder: the project would be read as a class of the dataset</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>A file of this name exists: choose a folder</source>
        <translation>A file of this name exists: choose a folder</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A project is already here: open it with Project &gt; Open project</source>
        <translation>A project is already here: open it with Project &gt; Open project</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The folder is not empty: choose a new or an empty folder</source>
        <translation>The folder is not empty: choose a new or an empty folder</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The folder is not writable</source>
        <translation>The folder is not writable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Empty folder: the project will be created in it</source>
        <translation>Empty folder: the project will be created in it</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 is a file, not a folder</source>
        <translation>%1 is a file, not a folder</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cannot create a folder in %1 (not writable)</source>
        <translation>Cannot create a folder in %1 (not writable)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New folder: it will be created</source>
        <translation>New folder: it will be created</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Choose the dataset: a folder with one subfolder of images per class</source>
        <translation>Choose the dataset: a folder with one subfolder of images per class</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+32"/>
        <source>No such folder</source>
        <translation>No such folder</translation>
    </message>
    <message>
        <location line="-30"/>
        <source>Not a folder or a .safetensors file</source>
        <translation>Not a folder or a .safetensors file</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Not a folder</source>
        <translation>Not a folder</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>A job is running (%1): Create is available when it ends. To create now, close this dialog, cancel the job (Esc, or Cancel in the status bar) and open New project again. The job is not affected until then.</source>
        <translation>A job is running (%1): Create is available when it ends. To create now, close this dialog, cancel the job (Esc, or Cancel in the status bar) and open New project again. The job is not affected until then.</translation>
    </message>
    <message>
        <location line="-62"/>
        <source>Not a usable dataset: %1</source>
        <translation>Not a usable dataset: %1</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n class(es)</source>
        <translation>
            <numerusform>%n class</numerusform>
            <numerusform>%n classes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n image(s)</source>
        <translation>
            <numerusform>%n image</numerusform>
            <numerusform>%n images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n warning(s): %1</source>
        <translation>
            <numerusform>%n warning: %1</numerusform>
            <numerusform>%n warnings: %1</numerusform>
        </translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Choose a Stable Diffusion model folder (diffusers layout, model_index.json)</source>
        <translation>Choose a Stable Diffusion model folder (diffusers layout, model_index.json)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Not a usable model folder: %1</source>
        <translation>Not a usable model folder: %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: %2, %3, %4; %5 parameters</source>
        <translation>%1: %2, %3, %4; %5 parameters</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 px images</source>
        <translation>%1 px images</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Give the word the class prompts are built on (e.g. bird)</source>
        <translation>Give the word the class prompts are built on (e.g. bird)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The class prompts are built on &quot;%1&quot;</source>
        <translation>The class prompts are built on &quot;%1&quot;</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>A job is running (%1): wait for it or cancel it, then create the project</source>
        <translation>A job is running (%1): wait for it or cancel it, then create the project</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Creating the project and loading the model...</source>
        <translation>Creating the project and loading the model...</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>The project was not created (nothing was left on disk): %1</source>
        <translation>The project was not created (nothing was left on disk): %1</translation>
    </message>
</context>
<context>
    <name>diffii::ui::PoolPage</name>
    <message>
        <location filename="../ui/pool_page.cpp" line="+97"/>
        <source>Class</source>
        <translation>Class</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Original</source>
        <translation>Original</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reconstruction</source>
        <translation>Reconstruction</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>PSNR (dB)</source>
        <translation>PSNR (dB)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The training image that was inverted</source>
        <translation>The training image that was inverted</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The image denoised back from its inversion with the class prompt</source>
        <translation>The image denoised back from its inversion with the class prompt</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Peak signal-to-noise ratio of the reconstruction against the original: how faithfully the inversion keeps the image (higher is better)</source>
        <translation>Peak signal-to-noise ratio of the reconstruction against the original: how faithfully the inversion keeps the image (higher is better)</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Entry %1
%2</source>
        <translation>Entry %1
%2</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No reconstruction was made</source>
        <translation>No reconstruction was made</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1
stale</source>
        <translation>%1
stale</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Stale: the model, the concepts or the pool settings changed since this inversion was made. Build the pool again.</source>
        <translation>Stale: the model, the concepts or the pool settings changed since this inversion was made. Build the pool again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Reconstruction PSNR: higher means the inversion keeps the image</source>
        <translation>Reconstruction PSNR: higher means the inversion keeps the image</translation>
    </message>
    <message>
        <location line="+84"/>
        <source>The inversion pool holds one DDIM inversion per training image: the noise latent that denoises back to that image under its class prompt. Generation interpolates between two inversions of a class on a circle, so a faithful inversion (high PSNR) gives faithful synthetic images.</source>
        <translation>The inversion pool holds one DDIM inversion per training image: the noise latent that denoises back to that image under its class prompt. Generation interpolates between two inversions of a class on a circle, so a faithful inversion (high PSNR) gives faithful synthetic images.</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>Pool settings</source>
        <translation>Pool settings</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>DDIM steps of the inversion (and of the reconstruction): more steps invert more faithfully and take longer</source>
        <translation>DDIM steps of the inversion (and of the reconstruction): more steps invert more faithfully and take longer</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Inversion &amp;steps</source>
        <translation>Inversion &amp;steps</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Classifier-free guidance scale during inversion; 1 (no guidance) inverts most faithfully</source>
        <translation>Classifier-free guidance scale during inversion; 1 (no guidance) inverts most faithfully</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Guidance</source>
        <translation>&amp;Guidance</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Build pool</source>
        <translation>&amp;Build pool</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Save the settings and invert every training image that has no current inversion (missing or stale); finished entries are kept if you cancel</source>
        <translation>Save the settings and invert every training image that has no current inversion (missing or stale); finished entries are kept if you cancel</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;fresh</source>
        <translation>Re&amp;fresh</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Read the pool from the project folder again</source>
        <translation>Read the pool from the project folder again</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Show the entries of one class</source>
        <translation>Show the entries of one class</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Class</source>
        <translation>&amp;Class</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stale entries &amp;only</source>
        <translation>Stale entries &amp;only</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show only the entries that must be rebuilt</source>
        <translation>Show only the entries that must be rebuilt</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>%1 %2: original</source>
        <translation>%1 %2: original</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 %2: reconstruction</source>
        <translation>%1 %2: reconstruction</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>%1 of %2 inverted (%p%)</source>
        <translation>%1 of %2 inverted (%p%)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>All classes</source>
        <translation>All classes</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>%1 of %2 training images inverted</source>
        <translation>%1 of %2 training images inverted</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>, mean PSNR %1 dB</source>
        <translation>, mean PSNR %1 dB</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%n stale</source>
        <translation>
            <numerusform>%n stale</numerusform>
            <numerusform>%n stale</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>, none stale</source>
        <translation>, none stale</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Open a project first (Dataset page).</source>
        <translation>Open a project first (Dataset page).</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No inversions yet. Train the concepts first (Concepts page), then Build the pool: inverting with the class prompt of trained concepts keeps images faithful.</source>
        <translation>No inversions yet. Train the concepts first (Concepts page), then Build the pool: inverting with the class prompt of trained concepts keeps images faithful.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No inversions yet: press Build pool.</source>
        <translation>No inversions yet: press Build pool.</translation>
    </message>
    <message>
        <location filename="../ui/pool_page.h" line="+32"/>
        <source>Inversion pool</source>
        <translation>Inversion pool</translation>
    </message>
</context>
<context>
    <name>diffii::ui::PreferencesDialog</name>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="+64"/>
        <source>Preferences</source>
        <translation>Preferences</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>System default</source>
        <translation>System default</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Language:</source>
        <translation>&amp;Language:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Reopen the last project on start</source>
        <translation>&amp;Reopen the last project on start</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A project folder given on the command line, or --demo, is opened instead</source>
        <translation>A project folder given on the command line, or --demo, is opened instead</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPU %1 (CUDA)</source>
        <translation>GPU %1 (CUDA)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 (not visible now)</source>
        <translation>%1 (not visible now)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Where the models compute. Applies when a project is opened next; the CLI takes --device.</source>
        <translation>Where the models compute. Applies when a project is opened next; the CLI takes --device.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Compute &amp;device:</source>
        <translation>Compute &amp;device:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPUs this build can use: %1</source>
        <translation>GPUs this build can use: %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No GPU this build can use: it computes on the CPU (a CPU-only LibTorch, or no GPU visible).</source>
        <translation>No GPU this build can use: it computes on the CPU (a CPU-only LibTorch, or no GPU visible).</translation>
    </message>
</context>
<context>
    <name>diffii::ui::PreviewPage</name>
    <message>
        <location filename="../ui/preview_page.cpp" line="+131"/>
        <source>cancelled</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Circle strip: %1 / %2</source>
        <translation>Circle strip: %1 / %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sweep of s: %1 / %2 samples</source>
        <translation>Sweep of s: %1 / %2 samples</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Build the pool first</source>
        <translation>Build the pool first</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Class</source>
        <translation>Class</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>First inversion z1: the image at α = 0</source>
        <translation>First inversion z1: the image at α = 0</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Second inversion z2: the image at α = −1 (≡ period − 1)</source>
        <translation>Second inversion z2: the image at α = −1 (≡ period − 1)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Image z1</source>
        <translation>Image z1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Image z2</source>
        <translation>Image z2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Random pair</source>
        <translation>Random pair</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pick two different inversions of the class at random</source>
        <translation>Pick two different inversions of the class at random</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Seed of the Gaussian noise used when the class has one image, and of the sweep&apos;s α samples</source>
        <translation>Seed of the Gaussian noise used when the class has one image, and of the sweep&apos;s α samples</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The great circle through z1 and z2. Green: the short arc between them (interpolation); the rest of the circle extrapolates. Click or drag to move the point.</source>
        <translation>The great circle through z1 and z2. Green: the short arc between them (interpolation); the rest of the circle extrapolates. Click or drag to move the point.</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Position</source>
        <translation>Position</translation>
    </message>
    <message>
        <location line="+8"/>
        <source> turn</source>
        <translation> turn</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Turns</source>
        <translation>Turns</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Split ratio s: the noisiest fraction s of the steps uses the prompt with the scene suffix, the rest the plain prompt. Low s stays faithful to the sources, high s brings more diversity.</source>
        <translation>Split ratio s: the noisiest fraction s of the steps uses the prompt with the scene suffix, the rest the plain prompt. Low s stays faithful to the sources, high s brings more diversity.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Split s</source>
        <translation>Split s</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>faithful ← → diverse</source>
        <translation>faithful ← → diverse</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Scene suffix appended to the prompt for the first stage of denoising (type your own)</source>
        <translation>Scene suffix appended to the prompt for the first stage of denoising (type your own)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suffix</source>
        <translation>Suffix</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>DDIM denoising steps</source>
        <translation>DDIM denoising steps</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Steps</source>
        <translation>Steps</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Classifier-free guidance scale</source>
        <translation>Classifier-free guidance scale</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Guidance</source>
        <translation>Guidance</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Circle strip</source>
        <translation>Circle strip</translation>
    </message>
    <message>
        <location line="+938"/>
        <source>Render %1 images evenly spaced around the circle</source>
        <translation>Render %1 images evenly spaced around the circle</translation>
    </message>
    <message>
        <location line="-936"/>
        <source>Sweep s</source>
        <translation>Sweep s</translation>
    </message>
    <message>
        <location line="+938"/>
        <source>Measure faithfulness and diversity for s = 0, 0.2, …, 1 (%1 samples each)</source>
        <translation>Measure faithfulness and diversity for s = 0, 0.2, …, 1 (%1 samples each)</translation>
    </message>
    <message>
        <location line="-933"/>
        <source>X/Y grid…</source>
        <translation>X/Y grid…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Render this pair over two axes (α, s, suffix, seed, guidance) as one labelled grid</source>
        <translation>Render this pair over two axes (α, s, suffix, seed, guidance) as one labelled grid</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1: %2 (Gaussian noise)</source>
        <translation>%1: %2 (Gaussian noise)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: %2 ↔ %3</source>
        <translation>%1: %2 ↔ %3</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Source of z1</source>
        <translation>Source of z1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Source of z2</source>
        <translation>Source of z2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>z1</source>
        <translation>z1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>z2</source>
        <translation>z2</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No preview yet</source>
        <translation>No preview yet</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Draft</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Full render</source>
        <translation>Full render</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Render this preview with the full steps and resolution of the settings</source>
        <translation>Render this preview with the full steps and resolution of the settings</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Images along the circle; click one to move α there</source>
        <translation>Images along the circle; click one to move α there</translation>
    </message>
    <message>
        <location line="+53"/>
        <location line="+10"/>
        <source>faithfulness</source>
        <translation>faithfulness</translation>
    </message>
    <message>
        <location line="-6"/>
        <location line="+7"/>
        <source>diversity</source>
        <translation>diversity</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>split ratio s</source>
        <translation>split ratio s</translation>
    </message>
    <message>
        <location line="+778"/>
        <source>faithfulness (cosine to source)</source>
        <translation>faithfulness (cosine to source)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>diversity (pairwise RMS)</source>
        <translation>diversity (pairwise RMS)</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Faithfulness falls and diversity rises as s grows; pick s where the trade-off suits you</source>
        <translation>Faithfulness falls and diversity rises as s grows; pick s where the trade-off suits you</translation>
    </message>
    <message>
        <location line="-1012"/>
        <source>Where the point is on the great circle through z1 and z2, in turns from z1 towards z2 (0 … 1 turn, both ends are z1): z2 is at θ/360°, −z1 at 0.5 turn, −z2 at 0.5 + θ/360°. The green band, from z1 to z2 at the start, is the interpolation arc; the rest extrapolates. Arrow keys move 0.01 turn, Page Up/Down 0.1 turn.</source>
        <translation>Where the point is on the great circle through z1 and z2, in turns from z1 towards z2 (0 … 1 turn, both ends are z1): z2 is at θ/360°, −z1 at 0.5 turn, −z2 at 0.5 + θ/360°. The green band, from z1 to z2 at the start, is the interpolation arc; the rest extrapolates. Arrow keys move 0.01 turn, Page Up/Down 0.1 turn.</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>The position in turns of the circle from z1 towards z2; the engine gets α = (1 − turns) · 2π/θ</source>
        <translation>The position in turns of the circle from z1 towards z2; the engine gets α = (1 − turns) · 2π/θ</translation>
    </message>
    <message>
        <location line="+168"/>
        <source>The image at the current position for each s of the sweep; click one to use that s</source>
        <translation>The image at the current position for each s of the sweep; click one to use that s</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The previews of this session, newest first; click one to restore its settings</source>
        <translation>The previews of this session, newest first; click one to restore its settings</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Use these settings for export</source>
        <translation>Use these settings for export</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Write the selected preview&apos;s steps, guidance and split ratio s into the project&apos;s settings, which the Export page generates with (the pair, position, suffix and seed are drawn per image there)</source>
        <translation>Write the selected preview&apos;s steps, guidance and split ratio s into the project&apos;s settings, which the Export page generates with (the pair, position, suffix and seed are drawn per image there)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Sweep of s</source>
        <translation>Sweep of s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>History</source>
        <translation>History</translation>
    </message>
    <message>
        <location line="-270"/>
        <location line="+357"/>
        <location line="+513"/>
        <location line="+76"/>
        <location line="+145"/>
        <source>s = %1</source>
        <translation>s = %1</translation>
    </message>
    <message>
        <location line="-1133"/>
        <source>Preview cancelled</source>
        <translation>Preview cancelled</translation>
    </message>
    <message>
        <location line="+424"/>
        <source>s = %1
faithfulness %2
diversity %3
click to use this s</source>
        <translation>s = %1
faithfulness %2
diversity %3
click to use this s</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 reconstruction</source>
        <translation>%1 reconstruction</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>reconstruction</source>
        <translation>reconstruction</translation>
    </message>
    <message>
        <location line="+54"/>
        <location line="+146"/>
        <location line="+121"/>
        <location line="+258"/>
        <location line="+87"/>
        <source>(none)</source>
        <translation>(none)</translation>
    </message>
    <message>
        <location line="-503"/>
        <location line="+406"/>
        <source>noise</source>
        <translation>noise</translation>
    </message>
    <message>
        <location line="-404"/>
        <source>one image in the class: Gaussian noise (seed %1)</source>
        <translation>one image in the class: Gaussian noise (seed %1)</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+162"/>
        <source>interpolation</source>
        <translation>interpolation</translation>
    </message>
    <message>
        <location line="-162"/>
        <location line="+162"/>
        <source>extrapolation</source>
        <translation>extrapolation</translation>
    </message>
    <message>
        <location line="-159"/>
        <source>The point lies on the short arc between z1 and z2</source>
        <translation>The point lies on the short arc between z1 and z2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The point lies on the long way round the circle, beyond z1 or z2</source>
        <translation>The point lies on the long way round the circle, beyond z1 or z2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>θ = %1°</source>
        <translation>θ = %1°</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>θ ≈ %1° (until the first preview)</source>
        <translation>θ ≈ %1° (until the first preview)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 turn (α = %2) · %3</source>
        <translation>%1 turn (α = %2) · %3</translation>
    </message>
    <message>
        <location line="+121"/>
        <source>A quick draft: %1 steps at %2×%3 pixels instead of the settings&apos; %4 steps at the model&apos;s size</source>
        <translation>A quick draft: %1 steps at %2×%3 pixels instead of the settings&apos; %4 steps at the model&apos;s size</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>%1 turn (α = %2) · θ = %3° · %4 · s = %5 · suffix: %6 · %7 s</source>
        <translation>%1 turn (α = %2) · θ = %3° · %4 · s = %5 · suffix: %6 · %7 s</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>%1 turn
%2</source>
        <translation>%1 turn
%2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>α = %1. %2</source>
        <translation>α = %1. %2</translation>
    </message>
    <message>
        <location line="+59"/>
        <source>s = %1 · faithfulness %2 · diversity %3 (at α = %4)</source>
        <translation>s = %1 · faithfulness %2 · diversity %3 (at α = %4)</translation>
    </message>
    <message>
        <location line="+102"/>
        <source> · shown again, not recomputed</source>
        <translation> · shown again, not recomputed</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>%1 turn</source>
        <translation>%1 turn</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 · %2/%3 · %4 · s = %5 · guidance %6 · %7 steps · seed %8 · suffix: %9</source>
        <translation>%1 · %2/%3 · %4 · s = %5 · guidance %6 · %7 steps · seed %8 · suffix: %9</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>α = %1, θ = %2°</source>
        <translation>α = %1, θ = %2°</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Preview history not saved: %1</source>
        <translation>Preview history not saved: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Sweep of s not saved: %1</source>
        <translation>Sweep of s not saved: %1</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>Export settings: %1 steps, guidance %2, s = %3</source>
        <translation>Export settings: %1 steps, guidance %2, s = %3</translation>
    </message>
    <message>
        <location line="-420"/>
        <source>Denoising… step %1 of %2</source>
        <translation>Denoising… step %1 of %2</translation>
    </message>
    <message>
        <location line="-88"/>
        <source>How far round the circle the point is from z1, in turns (1 turn: all the way round, back to z1). z2 is at %1 turn, −z1 at 0.5, −z2 at %2. The engine&apos;s rotation parameter is α = (1 − turns) · 2π/θ = (1 − turns) · %3; θ, the angle between the two inverted latents, is %4°.</source>
        <translation>How far round the circle the point is from z1, in turns (1 turn: all the way round, back to z1). z2 is at %1 turn, −z1 at 0.5, −z2 at %2. The engine&apos;s rotation parameter is α = (1 − turns) · 2π/θ = (1 − turns) · %3; θ, the angle between the two inverted latents, is %4°.</translation>
    </message>
    <message>
        <location line="+103"/>
        <source>θ is %1°: moving to the chosen point of the circle…</source>
        <translation>θ is %1°: moving to the chosen point of the circle…</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Gaussian noise (one image in the class, seed %1) · s = %2 · suffix: %3 · %4 s</source>
        <translation>Gaussian noise (one image in the class, seed %1) · s = %2 · suffix: %3 · %4 s</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Preview failed: %1</source>
        <translation>Preview failed: %1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 failed: %2</source>
        <translation>%1 failed: %2</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Circle strip queued…</source>
        <translation>Circle strip queued…</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>interp</source>
        <translation>interp</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>extrap</source>
        <translation>extrap</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>On the short arc between z1 and z2: interpolation</source>
        <translation>On the short arc between z1 and z2: interpolation</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Beyond z1 or z2: extrapolation</source>
        <translation>Beyond z1 or z2: extrapolation</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Sweep of s queued…</source>
        <translation>Sweep of s queued…</translation>
    </message>
    <message>
        <location filename="../ui/preview_page.h" line="+38"/>
        <source>Preview</source>
        <translation>Preview</translation>
    </message>
</context>
<context>
    <name>diffii::ui::SlurmPanel</name>
    <message>
        <location filename="../ui/slurm_panel.cpp" line="+25"/>
        <source>pending</source>
        <translation>pending</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>running</source>
        <translation>running</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>done</source>
        <translation>done</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>failed</source>
        <translation>failed</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>cancelled</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Run on Slurm</source>
        <translation>Run on Slurm</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Generate the set on a Slurm cluster: one shard per task of a job array, each resuming from its last image. The job script, the records and the logs are kept in the project under runs/slurm.</source>
        <translation>Generate the set on a Slurm cluster: one shard per task of a job array, each resuming from its last image. The job script, the records and the logs are kept in the project under runs/slurm.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>S&amp;hards:</source>
        <translation>S&amp;hards:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the cluster&apos;s default</source>
        <translation>the cluster&apos;s default</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Partition:</source>
        <translation>&amp;Partition:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>e.g. 2:00:00</source>
        <translation>e.g. 2:00:00</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Time limit:</source>
        <translation>&amp;Time limit:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>further sbatch arguments, e.g. --gres=gpu:1 --account=lab</source>
        <translation>further sbatch arguments, e.g. --gres=gpu:1 --account=lab</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>E&amp;xtra arguments:</source>
        <translation>E&amp;xtra arguments:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Submit</source>
        <translation>&amp;Submit</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Resume incomplete shards</source>
        <translation>&amp;Resume incomplete shards</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;fresh</source>
        <translation>Re&amp;fresh</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+33"/>
        <location line="+54"/>
        <source>No Slurm run yet.</source>
        <translation>No Slurm run yet.</translation>
    </message>
    <message>
        <location line="-80"/>
        <source>Shard</source>
        <translation>Shard</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>State</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Images</source>
        <translation>Images</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Exit code</source>
        <translation>Exit code</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Task</source>
        <translation>Task</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+36"/>
        <location line="+20"/>
        <source>Slurm: %1</source>
        <translation>Slurm: %1</translation>
    </message>
    <message numerus="yes">
        <location line="-17"/>
        <source>Submitting %n shard(s)...</source>
        <translation>
            <numerusform>Submitting %n shard...</numerusform>
            <numerusform>Submitting %n shards...</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Resubmitting the incomplete shards...</source>
        <translation>Resubmitting the incomplete shards...</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>%1 of %2</source>
        <translation>%1 of %2</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Run %1 (jobs %2): %3 of %4 shards done.</source>
        <translation>Run %1 (jobs %2): %3 of %4 shards done.</translation>
    </message>
</context>
<context>
    <name>diffii::ui::ThumbnailModel</name>
    <message>
        <location filename="../ui/dataset_page.cpp" line="-404"/>
        <source>In the training split</source>
        <translation>In the training split</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not in the training split (left out by the subset)</source>
        <translation>Not in the training split (left out by the subset)</translation>
    </message>
</context>
<context>
    <name>diffii::ui::TurnScale</name>
    <message>
        <location filename="../ui/circle_widget.cpp" line="+36"/>
        <source>Green: the interpolation arc, from z1 to z2. Orange: extrapolation, the rest of the circle.</source>
        <translation>Green: the interpolation arc, from z1 to z2. Orange: extrapolation, the rest of the circle.</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>interpolation</source>
        <translation>interpolation</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>extrapolation</source>
        <translation>extrapolation</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>interp.</source>
        <translation>interp.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>extrap.</source>
        <translation>extrap.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>θ unknown until the first preview</source>
        <translation>θ unknown until the first preview</translation>
    </message>
</context>
</TS>
