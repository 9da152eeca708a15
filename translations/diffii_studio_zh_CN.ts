<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>QObject</name>
    <message>
        <location filename="../ui/main_window.cpp" line="+85"/>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 min %2 s</source>
        <translation>%1 分 %2 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
</context>
<context>
    <name>diffii::ui::CircleWidget</name>
    <message>
        <location filename="../ui/circle_widget.cpp" line="+106"/>
        <source>interpolation</source>
        <translation>内插</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>extrapolation</source>
        <translation>外推</translation>
    </message>
</context>
<context>
    <name>diffii::ui::ConceptsPage</name>
    <message>
        <location filename="../ui/concepts_page.cpp" line="+82"/>
        <source>Concept learning teaches the model each class: a few placeholder tokens per class (textual inversion) and one LoRA shared by all classes are trained on the training subset, so that &quot;a photo of a &lt;tokens&gt; &lt;metaclass&gt;&quot; draws that class.</source>
        <translation>概念学习让模型认识每个类别：在训练子集上为每个类别训练若干占位词元（文本反演），并训练一个所有类别共享的 LoRA，使 &quot;a photo of a &lt;tokens&gt; &lt;metaclass&gt;&quot; 能画出该类别。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Training settings</source>
        <translation>训练设置</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Optimizer steps of the whole run (max_steps); a paused run resumes toward this number</source>
        <translation>整个训练的优化步数（max_steps）；暂停的训练恢复后继续向该步数推进</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Steps</source>
        <translation>步数(&amp;S)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Rank of the LoRA adapters in the UNet&apos;s attention layers: higher learns more detail, with more parameters</source>
        <translation>UNet 注意力层中 LoRA 适配器的秩：越高学到的细节越多，参数也越多</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>LoRA &amp;rank</source>
        <translation>LoRA 秩(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Learning rate of the placeholder token embeddings (textual inversion)</source>
        <translation>占位词元嵌入的学习率（文本反演）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Embedding learning rate</source>
        <translation>嵌入学习率(&amp;E)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Learning rate of the shared LoRA weights</source>
        <translation>共享 LoRA 权重的学习率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;LoRA learning rate</source>
        <translation>LoRA 学习率(&amp;L)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Images per micro-batch</source>
        <translation>每个微批次的图像数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Batch size</source>
        <translation>批大小(&amp;B)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Micro-batches summed into one optimizer step: a larger effective batch without more memory</source>
        <translation>累加为一次优化步的微批次数：不增加显存即可获得更大的有效批大小</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Gradient &amp;accumulation</source>
        <translation>梯度累积(&amp;A)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save a resumable checkpoint every N steps (0: only when paused and at the end)</source>
        <translation>每 N 步保存一个可恢复的检查点（0：仅在暂停和结束时保存）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pause and end only</source>
        <translation>仅暂停和结束时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Checkpoint every</source>
        <translation>检查点间隔(&amp;C)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Placeholder tokens learned for each class; more tokens can hold more detail</source>
        <translation>每个类别学习的占位词元数；词元越多可容纳的细节越多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Tokens per class</source>
        <translation>每类词元数(&amp;T)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The word whose embedding starts every class token; empty: the metaclass</source>
        <translation>用其嵌入初始化每个类别词元的单词；留空则使用元类别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Init word</source>
        <translation>初始化单词(&amp;I)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Auto (follows the CPU)</source>
        <translation>自动（随 CPU 而定）</translation>
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
        <translation>精度(&amp;P)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Seed of the noise, timesteps and image order: the same seed and settings train the same concepts</source>
        <translation>噪声、时间步和图像顺序的随机种子：相同的种子和设置会训练出相同的概念</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>S&amp;eed</source>
        <translation>种子(&amp;E)</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+221"/>
        <source>&amp;Start</source>
        <translation>开始(&amp;S)</translation>
    </message>
    <message>
        <location line="-219"/>
        <source>Save the settings and train; a paused run continues from its last checkpoint</source>
        <translation>保存设置并开始训练；已暂停的训练从上一个检查点继续</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop after the current step and write a checkpoint; Start resumes from it (Esc)</source>
        <translation>在当前步完成后停止并写入检查点；“开始”将从该处恢复（Esc）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Restart</source>
        <translation>重新开始(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Discard the checkpoint and train from step 0</source>
        <translation>丢弃检查点，从第 0 步开始训练</translation>
    </message>
    <message>
        <location line="+288"/>
        <source>%1 (training: step %2)</source>
        <translation>%1（训练中：第 %2 步）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokens of the unfinished run; Resume trains them to the planned steps</source>
        <translation>未完成训练的词元；“继续”会将其训练到计划的步数</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Paused at step %1 of %2; Resume continues from the checkpoint</source>
        <translation>已在第 %1 / %2 步暂停；“继续”将从检查点接着训练</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Concepts are trained (%1 steps); Start continues to more steps if you raise Steps, Restart trains again from scratch</source>
        <translation>概念已训练（%1 步）；调高步数后“开始”会继续训练更多步，“重新开始”则从头训练</translation>
    </message>
    <message>
        <location line="-284"/>
        <source>Denoising loss per optimizer step (thin) and its exponential moving average (thick). The raw loss is noisy by nature: watch the average.</source>
        <translation>每个优化步的去噪损失（细线）及其指数移动平均（粗线）。原始损失本身波动较大：请关注平均值。</translation>
    </message>
    <message>
        <location line="+311"/>
        <source>Auto trains a full-size model in bfloat16 where the CPU has it natively and it is faster than float32, otherwise in float32; the trained weights stay float32 either way. On this CPU: %1</source>
        <translation>自动：CPU 原生支持 bfloat16 且比 float32 更快时，完整尺寸的模型以 bfloat16 训练，否则以 float32 训练；训练得到的权重始终为 float32。本机 CPU：%1</translation>
    </message>
    <message>
        <location line="-308"/>
        <location line="+11"/>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>smoothed</source>
        <translation>平滑</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Samples rendered while training: seeded noise denoised with each class prompt as learned so far (one class per sample, in turn)</source>
        <translation>训练过程中生成的样例：用当前学到的各类别提示词对固定种子的噪声去噪（每次一个类别，轮流）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Learned concepts</source>
        <translation>已学习的概念</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The placeholder tokens that stand for each class in the prompts</source>
        <translation>在提示词中代表各类别的占位词元</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Restart concept learning</source>
        <translation>重新开始概念学习</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Discard the trained concepts and checkpoints and train from step 0?</source>
        <translation>要丢弃已训练的概念和检查点并从第 0 步重新训练吗？</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Finished: %1</source>
        <translation>已完成：%1</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <location line="+183"/>
        <source>Not trained yet</source>
        <translation>尚未训练</translation>
    </message>
    <message>
        <location line="-113"/>
        <source>Re&amp;sume</source>
        <translation>继续(&amp;S)</translation>
    </message>
    <message>
        <location line="-201"/>
        <location line="+302"/>
        <source>step %1 / %2</source>
        <translation>第 %1 / %2 步</translation>
    </message>
    <message>
        <location line="-84"/>
        <source>Resuming...</source>
        <translation>正在恢复...</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Starting...</source>
        <translation>正在开始...</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>ETA %1</source>
        <translation>预计剩余 %1</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>(no training images)</source>
        <translation>（无训练图像）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>trained</source>
        <translation>已训练</translation>
    </message>
    <message>
        <location filename="../ui/concepts_page.h" line="+31"/>
        <source>Concepts</source>
        <translation>概念</translation>
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
        <translation>已接受</translation>
    </message>
    <message>
        <location line="-183"/>
        <location line="+184"/>
        <source>Rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <location line="-182"/>
        <location line="+180"/>
        <location line="+160"/>
        <source>Pending</source>
        <translation>待定</translation>
    </message>
    <message>
        <location line="-169"/>
        <source>&amp;Class:</source>
        <translation>类别(&amp;C)：</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>α from</source>
        <translation>α 从</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>to</source>
        <translation>到</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rotation parameter α of the inversion circle (0: no bound)</source>
        <translation>反演圆上的旋转参数 α（0：不限制）</translation>
    </message>
    <message>
        <location line="-30"/>
        <source>s:</source>
        <translation>s：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Split point s of the two-stage denoising</source>
        <translation>两阶段去噪的分割点 s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Su&amp;ffix:</source>
        <translation>后缀(&amp;F)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Source &amp;pair:</source>
        <translation>源图像对(&amp;P)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S&amp;tatus:</source>
        <translation>状态(&amp;T)：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>No generated images yet. Set the generation settings and press &quot;Generate / Resume&quot; on the Export page.</source>
        <translation>尚无生成的图像。请在“导出”页设置生成参数，然后点击“生成 / 继续”。</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>&amp;Advance after marking</source>
        <translation>标记后自动前进(&amp;A)</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+243"/>
        <source>Select an image</source>
        <translation>请选择一张图像</translation>
    </message>
    <message>
        <location line="-221"/>
        <source>Generated image</source>
        <translation>生成的图像</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Class</source>
        <translation>类别</translation>
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
        <translation>区间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>s</source>
        <translation>s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suffix</source>
        <translation>后缀</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sources</source>
        <translation>源图像</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <location line="-25"/>
        <location line="+424"/>
        <source>Tags, comma-separated (Enter saves, Esc cancels)</source>
        <translation>标签，以逗号分隔（Enter 保存，Esc 取消）</translation>
    </message>
    <message>
        <location line="-532"/>
        <source>Ta&amp;g:</source>
        <translation>标签(&amp;G):</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show only the images with this tag, or those without tags</source>
        <translation>只显示带此标签的图像，或没有标签的图像</translation>
    </message>
    <message>
        <location line="+75"/>
        <source>Keys: A accept · R reject · U pending · T tags · ←/→ previous/next · Shift/Ctrl-click select several · Ctrl+Z undo</source>
        <translation>按键：A 接受 · R 拒绝 · U 待定 · T 标签 · ←/→ 上一张/下一张 · Shift/Ctrl 单击可多选 · Ctrl+Z 撤销</translation>
    </message>
    <message>
        <location line="+79"/>
        <location line="+343"/>
        <source>Accept</source>
        <translation>接受</translation>
    </message>
    <message>
        <location line="-343"/>
        <source>Accept (A)</source>
        <translation>接受（A）</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+342"/>
        <source>Reject</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location line="-342"/>
        <source>Reject (R): left out of the export</source>
        <translation>拒绝（R）：导出时排除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Back to pending (U)</source>
        <translation>恢复为待定（U）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tags...</source>
        <translation>标签...</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit tags (T)</source>
        <translation>编辑标签（T）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Nearest real image</source>
        <translation>最相近的真实图像</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The class&apos;s training image with the smallest pixel distance (L2 over 32×32 RGB thumbnails): a near copy suggests the image adds little.</source>
        <translation>该类别中像素距离最小的训练图像（在 32×32 RGB 缩略图上计算 L2 距离）：若几乎相同，说明这张图像带来的新信息很少。</translation>
    </message>
    <message>
        <location line="+101"/>
        <source>All classes</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Any s</source>
        <translation>任意 s</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+82"/>
        <source>(no suffix)</source>
        <translation>（无后缀）</translation>
    </message>
    <message>
        <location line="-81"/>
        <source>Any suffix</source>
        <translation>任意后缀</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Any pair</source>
        <translation>任意图像对</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>(untagged)</source>
        <translation>（无标签）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Any tag</source>
        <translation>任意标签</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>%1 of %2 shown · %3 accepted · %4 rejected</source>
        <translation>显示 %1 / %2 · 已接受 %3 · 已拒绝 %4</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 selected</source>
        <translation>已选 %1 张</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Gaussian noise (the class has one training image)</source>
        <translation>高斯噪声（该类别只有一张训练图像）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 (period 2π/θ = %2)</source>
        <translation>%1（周期 2π/θ = %2）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 rad (%2°)</source>
        <translation>%1 rad（%2°）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Interpolation</source>
        <translation>内插</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Extrapolation</source>
        <translation>外推</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>No training images of this class</source>
        <translation>该类别没有训练图像</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Searching...</source>
        <translation>正在查找...</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The image cannot be read</source>
        <translation>无法读取该图像</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No readable training image</source>
        <translation>没有可读取的训练图像</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Distance %1 (L2 over 32×32 RGB in [0, 1])</source>
        <translation>距离 %1（32×32 RGB 上的 L2 距离，取值 [0, 1]）</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>Mark pending</source>
        <translation>标为待定</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 %2 images</source>
        <translation>%1 %2 张图像</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Tags of the %1 selected images, comma-separated (Enter saves, Esc cancels)</source>
        <translation>所选 %1 张图像的标签，以逗号分隔（Enter 保存，Esc 取消）</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Edit tags</source>
        <translation>编辑标签</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit tags of %1 images</source>
        <translation>编辑 %1 张图像的标签</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Accept the selected images</source>
        <translation>接受所选图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reject the selected images</source>
        <translation>拒绝所选图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Mark the selected images pending</source>
        <translation>将所选图像标为待定</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit the tags of the selected images</source>
        <translation>编辑所选图像的标签</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Previous image</source>
        <translation>上一张图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Next image</source>
        <translation>下一张图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add the previous image to the selection</source>
        <translation>将上一张图像加入选择</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Add the next image to the selection</source>
        <translation>将下一张图像加入选择</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+16"/>
        <source>&amp;Undo curation</source>
        <translation>撤销标注(&amp;U)</translation>
    </message>
    <message>
        <location line="-13"/>
        <location line="+16"/>
        <source>&amp;Redo curation</source>
        <translation>重做标注(&amp;R)</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>&amp;Undo: %1</source>
        <translation>撤销：%1(&amp;U)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Redo: %1</source>
        <translation>重做：%1(&amp;R)</translation>
    </message>
    <message>
        <location filename="../ui/curate_page.h" line="+41"/>
        <source>Curate</source>
        <translation>审核</translation>
    </message>
</context>
<context>
    <name>diffii::ui::DatasetPage</name>
    <message>
        <location filename="../ui/dataset_page.cpp" line="+139"/>
        <source>&lt;h2&gt;Open a project or create one from a dataset folder&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;打开项目，或从数据集文件夹新建项目&lt;/h2&gt;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A dataset folder holds one sub-folder of images per class (ImageFolder layout). A project keeps the trained concepts, the inversion pool and the synthetic images made from it.</source>
        <translation>数据集文件夹中每个类别对应一个图像子文件夹（ImageFolder 结构）。项目保存训练得到的概念、反演池以及由其生成的合成图像。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>&amp;New project...</source>
        <translation>新建项目(&amp;N)...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Create a project from a dataset folder and a Stable Diffusion model folder (Ctrl+N)</source>
        <translation>用数据集文件夹和 Stable Diffusion 模型文件夹新建项目（Ctrl+N）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open project...</source>
        <translation>打开项目(&amp;O)...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open an existing project folder (Ctrl+O)</source>
        <translation>打开已有的项目文件夹（Ctrl+O）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&lt;b&gt;Recent projects&lt;/b&gt;</source>
        <translation>&lt;b&gt;最近的项目&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Click a project to open it</source>
        <translation>单击项目即可打开</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>%1 — %2 (not found)</source>
        <translation>%1 — %2（未找到）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: there is no project.json here any more</source>
        <translation>%1：这里已没有 project.json</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>The metaclass is the common kind of every class (e.g. &quot;bird&quot;). It ends the class prompt &quot;a photo of a &lt;class tokens&gt; &lt;metaclass&gt;&quot; and initialises the learned concept tokens.</source>
        <translation>元类别是所有类别共同的大类（例如 &quot;bird&quot;）。它位于类别提示词 &quot;a photo of a &lt;class tokens&gt; &lt;metaclass&gt;&quot; 的末尾，并用于初始化学习的概念词元。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Problems found in the dataset folder: empty classes are left out; a class with a single image has no partner for circle interpolation and is paired with noise.</source>
        <translation>数据集文件夹中发现问题：空类别将被忽略；只有一张图像的类别没有可用于圆插值的配对图像，将与噪声配对。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Images</source>
        <translation>图像</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Images of the class in the training subset: concepts are learned and inverted from these only</source>
        <translation>该类别在训练子集中的图像：仅用这些图像学习概念和进行反演</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Few-shot / long-tail subset</source>
        <translation>小样本 / 长尾子集</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The training images Diff-II uses: all of them, K per class (few-shot), or an imbalanced long-tail subset. Changing it makes trained concepts and the inversion pool stale.</source>
        <translation>Diff-II 使用的训练图像：全部图像、每类 K 张（小样本）或不均衡的长尾子集。更改后，已训练的概念和反演池将失效。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>All images</source>
        <translation>全部图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>K-shot</source>
        <translation>K-shot（每类 K 张）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Long-tail</source>
        <translation>长尾</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Method</source>
        <translation>方式(&amp;M)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Training images per class (classes with fewer keep all of theirs)</source>
        <translation>每个类别的训练图像数（不足的类别保留全部图像）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;K per class</source>
        <translation>每类 K 张(&amp;K)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Ratio of the largest to the smallest class: the per-class counts decay exponentially from &quot;max per class&quot; down to max / factor</source>
        <translation>最大类与最小类的数量之比：各类数量从“每类最多”按指数递减到 最多值 / 因子</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Imbalance factor</source>
        <translation>不均衡因子(&amp;I)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Training images of the head (largest) class</source>
        <translation>头部（最大）类别的训练图像数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max &amp;per class</source>
        <translation>每类最多(&amp;P)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Which images are drawn; the same seed gives the same subset</source>
        <translation>决定抽取哪些图像；相同的种子得到相同的子集</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S&amp;eed</source>
        <translation>种子(&amp;E)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Apply subset</source>
        <translation>应用子集(&amp;A)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the subset as split.json in the project</source>
        <translation>将子集保存为项目中的 split.json</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>&amp;Training images only</source>
        <translation>仅显示训练图像(&amp;T)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Hide the images the subset leaves out (shown greyed otherwise)</source>
        <translation>隐藏子集之外的图像（否则以灰色显示）</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; dataset &lt;code&gt;%2&lt;/code&gt; &amp;nbsp; model &lt;code&gt;%3&lt;/code&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; 数据集 &lt;code&gt;%2&lt;/code&gt; &amp;nbsp; 模型 &lt;code&gt;%3&lt;/code&gt;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Project folder: %1</source>
        <translation>项目文件夹：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Metaclass: &lt;b&gt;%1&lt;/b&gt;</source>
        <translation>元类别：&lt;b&gt;%1&lt;/b&gt;</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>%n class(es), %1 images, %2 in the training subset</source>
        <translation>
            <numerusform>%n 个类别，%1 张图像，其中 %2 张在训练子集中</numerusform>
        </translation>
    </message>
    <message>
        <location line="+29"/>
        <source>one image</source>
        <translation>仅一张图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A single image has no partner for circle interpolation: Diff-II pairs its inversion with Gaussian noise, so the synthetic images vary less</source>
        <translation>单张图像没有可用于圆插值的配对：Diff-II 会将其反演与高斯噪声配对，因此合成图像的变化较少</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>one training image</source>
        <translation>仅一张训练图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The subset keeps one image of this class: its inversion is paired with noise</source>
        <translation>子集只保留了该类别的一张图像：其反演将与噪声配对</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>no training images</source>
        <translation>无训练图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The subset leaves this class out: no concept is learned for it</source>
        <translation>子集排除了该类别：不会为其学习概念</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>&lt;b&gt;%1&lt;/b&gt;: %2 of %3 images in the training subset</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;：%3 张图像中有 %2 张在训练子集中</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Change the training subset</source>
        <translation>更改训练子集</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The trained concepts and the inversion pool were made from the current subset and become stale. Change the subset?</source>
        <translation>已训练的概念和反演池基于当前子集生成，更改后将失效。确定要更改子集吗？</translation>
    </message>
    <message>
        <location filename="../ui/dataset_page.h" line="+29"/>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
</context>
<context>
    <name>diffii::ui::EngineWorker</name>
    <message>
        <location filename="../ui/engine_worker.cpp" line="+193"/>
        <source>Concept learning history not read: %1</source>
        <translation>未能读取概念学习历史：%1</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>Created %1</source>
        <translation>已创建 %1</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Opened %1</source>
        <translation>已打开 %1</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Demo project ready: %1 inversions in %2</source>
        <translation>演示项目已就绪：%2 中有 %1 个反演</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>%1 training images</source>
        <translation>%1 张训练图像</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>%1 suffixes from %2 captions</source>
        <translation>从 %2 条描述中得到 %1 个后缀</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1 steps, loss %2</source>
        <translation>%1 步，损失 %2</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 inversions</source>
        <translation>%1 个反演</translation>
    </message>
    <message>
        <location line="+108"/>
        <source>%1 new images (%2 already made); the set holds %3: %4 accepted, %5 rejected, %6 pending</source>
        <translation>新生成 %1 张图像（%2 张此前已完成）；数据集共 %3 张：%4 张已接受，%5 张已拒绝，%6 张待定</translation>
    </message>
    <message>
        <location line="+77"/>
        <source>job %1 submitted: %2 shards</source>
        <translation>作业 %1 已提交：%2 个分片</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>job %1 submitted: shards %2 again</source>
        <translation>作业 %1 已提交：重新运行分片 %2</translation>
    </message>
    <message>
        <location line="+130"/>
        <source>X/Y grid: %1 images</source>
        <translation>X/Y 网格：%1 张图像</translation>
    </message>
    <message>
        <location line="-148"/>
        <source>%1 images exported to %2</source>
        <translation>已导出 %1 张图像到 %2</translation>
    </message>
    <message>
        <location line="+82"/>
        <source>%1 strategies evaluated</source>
        <translation>已评估 %1 种策略</translation>
    </message>
</context>
<context>
    <name>diffii::ui::EvaluatePage</name>
    <message>
        <location filename="../ui/evaluate_page.cpp" line="+71"/>
        <source>Strategies</source>
        <translation>策略</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Original (real images only)</source>
        <translation>原始（仅真实图像）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mixup (mixes two training images)</source>
        <translation>Mixup（混合两张训练图像）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CutMix (pastes a patch of another image)</source>
        <translation>CutMix（粘贴另一张图像的一块）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Real-Guidance (img2img, plain prompt)</source>
        <translation>Real-Guidance（图生图，普通提示词）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>DA-Fusion (img2img, learned tokens)</source>
        <translation>DA-Fusion（图生图，学习的词元）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-AUG (img2img, learned tokens)</source>
        <translation>Diff-AUG（图生图，学习的词元）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-Mix (img2img with another class&apos;s tokens)</source>
        <translation>Diff-Mix（用另一类别的词元做图生图）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-Gen (text to image, learned tokens)</source>
        <translation>Diff-Gen（文生图，学习的词元）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-II (inversion circle interpolation)</source>
        <translation>Diff-II（反演圆插值）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Classifier runs</source>
        <translation>分类器训练</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Classifiers per strategy, each with its own seed: the table shows mean ± std</source>
        <translation>每种策略训练的分类器数，各用一个种子：表格显示均值 ± 标准差</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seeds</source>
        <translation>种子数</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Epochs</source>
        <translation>轮数</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Synthetic images per training image, for every synthesis strategy</source>
        <translation>每张训练图像对应的合成图像数（适用于所有合成策略）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Expansion rate</source>
        <translation>扩充倍率</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>e.g. 0.3, 0.7</source>
        <translation>例如 0.3, 0.7</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Split ratios s, separated by commas: Diff-II is evaluated at each of them as well, one point per s in the diversity-against-faithfulness plot</source>
        <translation>以逗号分隔的分割比例 s：Diff-II 也会在每个 s 上评估，在多样性-忠实度散点图中每个 s 一个点</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Diff-II also at s</source>
        <translation>Diff-II 另测的 s 值</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Run evaluation</source>
        <translation>运行评估</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Generates the missing synthetic images and trains the classifiers; finished runs are kept, so a stopped evaluation resumes</source>
        <translation>生成缺少的合成图像并训练分类器；已完成的训练会保留，停止后再次运行即可继续</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="-67"/>
        <location line="+77"/>
        <source>Choose strategies and run.</source>
        <translation>请选择策略并运行。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Save plots</source>
        <translation>保存图表</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Saves the three plots as PNG beside table.md and table.csv</source>
        <translation>将三张图表以 PNG 保存到 table.md 和 table.csv 旁边</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Strategy</source>
        <translation>策略</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Accuracy (%)</source>
        <translation>准确率（%）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Runs</source>
        <translation>各次结果</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Diversity</source>
        <translation>多样性</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Faithfulness (%)</source>
        <translation>忠实度（%）</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Accuracy</source>
        <translation>准确率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diversity and faithfulness</source>
        <translation>多样性与忠实度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Confusion matrix</source>
        <translation>混淆矩阵</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>ETA %1</source>
        <translation>预计剩余 %1</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped: finished runs are kept, and running again resumes.</source>
        <translation>已停止：已完成的训练会保留，再次运行即可继续。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Diff-II also at s: %1 is not a split ratio in (0, 1]; separate ratios with commas</source>
        <translation>“Diff-II 另测的 s 值”：%1 不是 (0, 1] 内的分割比例；多个比例请用逗号分隔</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Starting...</source>
        <translation>正在开始...</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Original</source>
        <translation>原始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diff-II (s = %1)</source>
        <translation>Diff-II（s = %1）</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>top-1 accuracy (%)</source>
        <translation>top-1 准确率（%）</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>diversity (%1)</source>
        <translation>多样性（%1）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>faithfulness (%)</source>
        <translation>忠实度（%）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Saved to %1 (results.json, table.md, table.csv)</source>
        <translation>已保存到 %1（results.json、table.md、table.csv）</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>predicted class</source>
        <translation>预测类别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>true class (top: first)</source>
        <translation>真实类别（顶部为第一个）</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Plots saved to %1</source>
        <translation>图表已保存到 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The plots could not be saved in %1 (is the folder there and writable?)</source>
        <translation>无法将图表保存到 %1（该文件夹是否存在且可写？）</translation>
    </message>
    <message>
        <location filename="../ui/evaluate_page.h" line="+30"/>
        <source>Evaluate</source>
        <translation>评估</translation>
    </message>
</context>
<context>
    <name>diffii::ui::ExportPage</name>
    <message>
        <location filename="../ui/export_page.cpp" line="+61"/>
        <source>Generation</source>
        <translation>生成</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Synthetic images per training image of each class (at least one per class)</source>
        <translation>每个类别每张训练图像对应的合成图像数（每类至少一张）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Expansion rate</source>
        <translation>扩充倍率(&amp;E)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>DDIM denoising steps per image</source>
        <translation>每张图像的 DDIM 去噪步数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Denoising steps</source>
        <translation>去噪步数(&amp;D)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Classifier-free guidance scale; the project&apos;s setting, shared with the Preview page</source>
        <translation>无分类器引导强度；项目设置，与预览页共用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Guidance (CFG)</source>
        <translation>引导强度 CFG(&amp;G)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Split point s of the two-stage denoising: the fraction of steps conditioned on the class prompt alone before the scene suffix joins</source>
        <translation>两阶段去噪的分割点 s：在加入场景后缀之前，仅以类别提示词为条件的步数比例</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>S&amp;plit s</source>
        <translation>分割点 s(&amp;P)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>e.g. blurry, low quality, watermark</source>
        <translation>例如 blurry, low quality, watermark</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Negative prompt</source>
        <translation>负面提示词(&amp;N)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Planned</source>
        <translation>计划</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scene &amp;suffixes</source>
        <translation>场景后缀(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Generate / Resume</source>
        <translation>生成 / 继续</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Saves the settings in the project and generates the missing images; finished images with the same settings are kept, so a stopped run resumes</source>
        <translation>将设置保存到项目并生成缺少的图像；设置相同的已完成图像会保留，因此中断的生成可以继续</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>The scene suffixes appended to the class prompt in the second stage, one drawn per image; double-click to edit. Saved in the project (suffixes.txt), shared with the Preview page</source>
        <translation>第二阶段附加在类别提示词后的场景后缀，每张图像随机抽取一个；双击可编辑。保存在项目中（suffixes.txt），与预览页共用</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Add</source>
        <translation>添加(&amp;A)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>%1 images: %2 classes, %3 training images × expansion %4 (at least one a class)</source>
        <translation>%1 张图像：%2 个类别，%3 张训练图像 × 扩充倍率 %4（每类至少一张）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Synthetic set</source>
        <translation>合成数据集</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Generated</source>
        <translation>已生成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accepted</source>
        <translation>已接受</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pending</source>
        <translation>待定</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+247"/>
        <source>No images generated yet.</source>
        <translation>尚未生成图像。</translation>
    </message>
    <message>
        <location line="-239"/>
        <location filename="../ui/export_page.h" line="+26"/>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Output folder:</source>
        <translation>输出文件夹(&amp;O)：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Browse...</source>
        <translation>浏览(&amp;B)...</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The export is an ImageFolder (one folder per class) with manifest.csv and manifest.jsonl. Rejected images are left out; accepted and pending images are exported. When a classifier is trained on it, each real image is replaced by a synthetic image of its class with probability 0.5 (recorded in the manifest).</source>
        <translation>导出结果为 ImageFolder（每个类别一个文件夹），附带 manifest.csv 和 manifest.jsonl。已拒绝的图像不会导出；已接受和待定的图像都会导出。用其训练分类器时，每张真实图像以 0.5 的概率被替换为同类别的合成图像（记录在 manifest 中）。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>E&amp;xport</source>
        <translation>导出(&amp;X)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open &amp;folder</source>
        <translation>打开文件夹(&amp;F)</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Open a project to generate images.</source>
        <translation>请打开项目以生成图像。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Generation stopped; finished images are kept. Press &quot;Generate / Resume&quot; to continue.</source>
        <translation>生成已停止；已完成的图像会保留。点击“生成 / 继续”以继续。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Export stopped.</source>
        <translation>导出已停止。</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>Ready to generate.</source>
        <translation>可以开始生成。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Starting generation...</source>
        <translation>正在开始生成...</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Export folder not empty</source>
        <translation>导出文件夹不为空</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 holds files that are not an earlier export of this set. Export into it anyway? Files with the same names are replaced.</source>
        <translation>%1 中有不属于此合成集先前导出的文件。仍要导出到该文件夹吗？同名文件将被替换。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Exporting to %1...</source>
        <translation>正在导出到 %1...</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Export folder</source>
        <translation>导出文件夹</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No export folder given.</source>
        <translation>未指定导出文件夹。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cannot open %1: the folder does not exist yet (Export creates it).</source>
        <translation>无法打开 %1：该文件夹尚不存在（导出时会创建）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cannot open %1: no file manager answered. The folder is there; open it by hand.</source>
        <translation>无法打开 %1：没有文件管理器响应。文件夹已存在，请手动打开。</translation>
    </message>
    <message>
        <location line="+61"/>
        <source>%1 generated: %2 accepted, %3 rejected, %4 pending curation</source>
        <translation>已生成 %1 张：%2 张已接受，%3 张已拒绝，%4 张待定</translation>
    </message>
    <message>
        <location line="-34"/>
        <source>Generating</source>
        <translation>正在生成</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Exporting</source>
        <translation>正在导出</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: %2 of %3 %4</source>
        <translation>%1：%2 / %3 %4</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Generation finished: %1. Curate the images on the Curate page.</source>
        <translation>生成完成：%1。请到“审核”页检查图像。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Export finished: %1.</source>
        <translation>导出完成：%1。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
</context>
<context>
    <name>diffii::ui::GridDialog</name>
    <message>
        <location filename="../ui/grid_dialog.cpp" line="+36"/>
        <location line="+38"/>
        <source>X/Y grid</source>
        <translation>X/Y 网格</translation>
    </message>
    <message>
        <location line="-37"/>
        <source>%1 · %2 steps · guidance %3 · s %4 · suffix: %5</source>
        <translation>%1 · %2 步 · 引导 %3 · s %4 · 后缀：%5</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+135"/>
        <location line="+28"/>
        <location filename="../ui/xy_grid.cpp" line="+56"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location line="-161"/>
        <source>Renders the pair chosen on the Preview page once per combination of two axes, with its other settings. Values: a list (0, 0.25, 0.5), a range with a count (0-1 [5]) or with a step (1-9 (+2)); suffixes are separated by |.</source>
        <translation>对预览页所选的图像对，按两个轴的每种取值组合各渲染一次，其余设置保持不变。取值：列表（0, 0.25, 0.5）、带数量的范围（0-1 [5]）或带步长的范围（1-9 (+2)）；后缀之间用 | 分隔。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>X (columns)</source>
        <translation>X（列）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Y (rows)</source>
        <translation>Y（行）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Choose the axes and press Render.</source>
        <translation>选择两个轴，然后点击“渲染”。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Render</source>
        <translation>渲染</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the labelled grid as one PNG</source>
        <translation>将带标注的网格保存为一张 PNG</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+146"/>
        <source>Rendering…</source>
        <translation>正在渲染…</translation>
    </message>
    <message>
        <location line="-138"/>
        <source>cancelled; the cells done are kept</source>
        <translation>已取消；已完成的格子会保留</translation>
    </message>
    <message>
        <location line="+11"/>
        <location filename="../ui/xy_grid.cpp" line="-15"/>
        <source>α (turns of the circle)</source>
        <translation>α（圆周的圈数）</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>split ratio s</source>
        <translation>分割比 s</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>suffix</source>
        <translation>后缀</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../ui/xy_grid.cpp" line="+2"/>
        <source>guidance</source>
        <translation>引导</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>α in turns of the circle from z1 towards z2: 0 is z1, θ/2π is z2, 0.5 is −z1 (α = (1 − turn)·2π/θ). Seed: α drawn from the seed as the generator does (when α is not the other axis), and the noise of a one-image class.</source>
        <translation>α 以从 z1 朝 z2 方向的圈数表示：0 为 z1，θ/2π 为 z2，0.5 为 −z1（α = (1 − 圈数)·2π/θ）。种子：按生成器的方式由种子抽取 α（当另一轴不是 α 时），也是单图类别的噪声。</translation>
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
        <translation>%1：没有后缀</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1: s must lie in [0, 1]</source>
        <translation>%1：s 必须在 [0, 1] 之间</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: seeds are whole numbers ≥ 0</source>
        <translation>%1：种子必须是 ≥ 0 的整数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: guidance must lie in [0, %2]</source>
        <translation>%1：引导必须在 [0, %2] 之间</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Choose two different axes</source>
        <translation>请选择两个不同的轴</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 cells: at most %2</source>
        <translation>%1 个格子：最多 %2 个</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Queued after the running job…</source>
        <translation>排在正在运行的任务之后…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Waiting for the first image…</source>
        <translation>正在等待第一张图像…</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1 of %2 images</source>
        <translation>%1 / %2 张图像</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>%1 images</source>
        <translation>%1 张图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Grid stopped: %1</source>
        <translation>网格已停止：%1</translation>
    </message>
    <message>
        <location line="+36"/>
        <location line="+10"/>
        <source>Export grid</source>
        <translation>导出网格</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>%1 could not be written: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <location filename="../ui/xy_grid.cpp" line="+15"/>
        <source>α = %1 turn</source>
        <translation>α = %1 圈</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>s = %1</source>
        <translation>s = %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>seed %1</source>
        <translation>种子 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>guidance %1</source>
        <translation>引导 %1</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>%1: the count must be 1 to %2</source>
        <translation>%1：数量必须在 1 到 %2 之间</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1: the step must be positive</source>
        <translation>%1：步长必须为正数</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>“%1” is neither a number nor a range such as 0-1 [5] or 1-9 (+2)</source>
        <translation>“%1”既不是数字，也不是 0-1 [5] 或 1-9 (+2) 这样的范围</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>more than %1 values</source>
        <translation>超过 %1 个值</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no values</source>
        <translation>没有取值</translation>
    </message>
</context>
<context>
    <name>diffii::ui::Jobs</name>
    <message>
        <location filename="../ui/engine_worker.cpp" line="-578"/>
        <source>open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>create</source>
        <translation>创建</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>demo</source>
        <translation>演示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>split</source>
        <translation>划分</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>suffixes</source>
        <translation>场景后缀</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>concepts</source>
        <translation>概念学习</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pool</source>
        <translation>反演池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>pool-list</source>
        <translation>反演池列表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>strip</source>
        <translation>圆周图像条</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sweep</source>
        <translation>扫描 s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>generation</source>
        <translation>生成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>curate</source>
        <translation>审核</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>slurm</source>
        <translation>Slurm</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>evaluate</source>
        <translation>评估</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>import</source>
        <translation>导入</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>validate</source>
        <translation>校验</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>reading images</source>
        <translation>读取图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>scan</source>
        <translation>扫描</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>load</source>
        <translation>加载</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>latents</source>
        <translation>潜变量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>inversion</source>
        <translation>反演</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>inversion pool</source>
        <translation>反演池</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>denoising</source>
        <translation>去噪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>contact sheets</source>
        <translation>对照表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>classifier</source>
        <translation>分类器</translation>
    </message>
</context>
<context>
    <name>diffii::ui::Lightbox</name>
    <message>
        <location filename="../ui/lightbox.cpp" line="+54"/>
        <source>View full size</source>
        <translation>查看原尺寸</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy image</source>
        <translation>复制图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save image as…</source>
        <translation>图像另存为…</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+233"/>
        <location line="+14"/>
        <source>Save image</source>
        <translation>保存图像</translation>
    </message>
    <message>
        <location line="-241"/>
        <location line="+241"/>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <location line="-187"/>
        <source>%1 (%2×%3)</source>
        <translation>%1（%2×%3）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Image</source>
        <translation>图像</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Zoom in (+)</source>
        <translation>放大 (+)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Zoom out (−)</source>
        <translation>缩小 (−)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Fit (0)</source>
        <translation>适应窗口 (0)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>1:1 (1)</source>
        <translation>1:1 (1)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy the image at full resolution to the clipboard (Ctrl+C)</source>
        <translation>将全分辨率图像复制到剪贴板 (Ctrl+C)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the image at full resolution as PNG (Ctrl+S)</source>
        <translation>将全分辨率图像保存为 PNG (Ctrl+S)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Sources side by side (S)</source>
        <translation>并排显示来源 (S)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show the images this one was made from beside it, scaled to its height</source>
        <translation>在旁边显示生成此图像所用的图像，缩放到与其同高</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>this image</source>
        <translation>此图像</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>%1 could not be written: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>x %1, y %2: RGB %3 %4 %5</source>
        <translation>x %1，y %2：RGB %3 %4 %5</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Double-click to view at full size (zoom, save, copy)</source>
        <translation>双击以原尺寸查看（缩放、保存、复制）</translation>
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
        <translation>空闲</translation>
    </message>
    <message>
        <location line="-362"/>
        <location line="+363"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="-362"/>
        <location line="+363"/>
        <source>Stop the running job (Esc); finished work is kept and the job resumes later</source>
        <translation>停止正在运行的任务（Esc）；已完成的部分会保留，任务稍后可继续</translation>
    </message>
    <message>
        <location line="-351"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Concept learning paused; Resume on the Concepts page continues from its checkpoint</source>
        <translation>概念学习已暂停；在“概念”页点击“继续”将从检查点接着训练</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 cancelled; finished work is kept</source>
        <translation>%1 已取消；已完成的部分会保留</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Running: %1</source>
        <translation>正在运行：%1</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>&amp;Project</source>
        <translation>项目(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New project...</source>
        <translation>新建项目(&amp;N)...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Open project...</source>
        <translation>打开项目(&amp;O)...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open &amp;demo project (emoji birds)</source>
        <translation>打开演示项目（表情符号鸟类）(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Preferences...</source>
        <translation>首选项(&amp;P)...</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Go</source>
        <translation>转到(&amp;G)</translation>
    </message>
    <message>
        <location line="-50"/>
        <location line="+333"/>
        <source>Cancel job</source>
        <translation>取消任务</translation>
    </message>
    <message>
        <location line="-278"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;About Diff-II Studio</source>
        <translation>关于 Diff-II Studio(&amp;A)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>&lt;b&gt;Diff-II Studio&lt;/b&gt; %1&lt;br&gt;Diffusion-based image augmentation for data-scarce classification: concept learning, inversion circle interpolation and two-stage denoising.</source>
        <translation>&lt;b&gt;Diff-II Studio&lt;/b&gt; %1&lt;br&gt;面向数据稀缺分类任务的扩散模型图像增强：概念学习、反演圆插值与两阶段去噪。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Engine</source>
        <translation>引擎</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Version %1
LibTorch %2
Qt %3 (built with %4)</source>
        <translation>版本 %1
LibTorch %2
Qt %3（编译时为 %4）</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>About Diff-II Studio</source>
        <translation>关于 Diff-II Studio</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>This computer (as diffii info --system prints it)</source>
        <translation>本机信息（与 diffii info --system 的输出相同）</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Everywhere</source>
        <translation>全局</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <location line="+22"/>
        <location line="+179"/>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <location line="-161"/>
        <source>warning: </source>
        <translation>警告：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>error: </source>
        <translation>错误：</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 started</source>
        <translation>%1 开始</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1: %2 of %3</source>
        <translation>%1：%2 / %3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: %2 of %3 (%4)</source>
        <translation>%1：%2 / %3（%4）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 finished in %2 s</source>
        <translation>%1 完成，用时 %2 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 finished in %2 s: %3</source>
        <translation>%1 完成，用时 %2 秒：%3</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 cancelled after %2 s; finished work is kept</source>
        <translation>%1 在 %2 秒后取消；已完成的工作已保留</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 failed after %2 s: %3</source>
        <translation>%1 在 %2 秒后失败：%3</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Project %1 open (%2)</source>
        <translation>已打开项目 %1（%2）</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Open project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The last project, %1, is no longer there; open or create a project</source>
        <translation>上次的项目 %1 已不存在；请打开或新建项目</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Reopening the last project, %1</source>
        <translation>正在重新打开上次的项目 %1</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1 (not found)</source>
        <translation>%1（未找到）</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ETA %1</source>
        <translation>预计剩余 %1</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+3"/>
        <source>%1 failed</source>
        <translation>%1 失败</translation>
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
        <translation>新建项目</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A new or empty folder</source>
        <translation>一个新的或空的文件夹</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>One subfolder of images per class</source>
        <translation>每个类别一个图像子文件夹</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Project folder</source>
        <translation>项目文件夹</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Dataset (one folder per class)</source>
        <translation>数据集（每个类别一个文件夹）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Dataset folder</source>
        <translation>数据集文件夹</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Stable Diffusion model (diffusers)</source>
        <translation>Stable Diffusion 模型（diffusers）</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>A diffusers folder with model_index.json, or a single .safetensors checkpoint</source>
        <translation>含 model_index.json 的 diffusers 文件夹，或单个 .safetensors 检查点</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>File...</source>
        <translation>文件...</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pick a single-file checkpoint (.safetensors in the original SD 1.x / 2.x layout)</source>
        <translation>选择单文件检查点（原始 SD 1.x / 2.x 布局的 .safetensors）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Single-file checkpoint</source>
        <translation>单文件检查点</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Metaclass</source>
        <translation>元类别</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Create</source>
        <translation>创建</translation>
    </message>
    <message>
        <location line="+25"/>
        <location line="+7"/>
        <location line="+139"/>
        <location line="+31"/>
        <source>Checking...</source>
        <translation>正在检查...</translation>
    </message>
    <message>
        <location line="-142"/>
        <source>Browse...</source>
        <translation>浏览...</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Choose a new or empty folder for the project</source>
        <translation>请为项目选择一个新的或空的文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+43"/>
        <location line="+32"/>
        <source>Give the full path of the folder</source>
        <translation>请填写文件夹的完整路径</translation>
    </message>
    <message>
        <location line="-68"/>
        <source>Inside the dataset folder: the project would be read as a class of the dataset</source>
        <translation>位于数据集文件夹内：项目会被当作数据集的一个类别读取</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>A file of this name exists: choose a folder</source>
        <translation>已存在同名文件：请选择一个文件夹</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A project is already here: open it with Project &gt; Open project</source>
        <translation>此处已有项目：请用“项目 &gt; 打开项目”打开它</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The folder is not empty: choose a new or an empty folder</source>
        <translation>文件夹不为空：请选择一个新的或空的文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The folder is not writable</source>
        <translation>文件夹不可写</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Empty folder: the project will be created in it</source>
        <translation>空文件夹：项目将创建在其中</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 is a file, not a folder</source>
        <translation>%1 是文件，不是文件夹</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cannot create a folder in %1 (not writable)</source>
        <translation>无法在 %1 中创建文件夹（不可写）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New folder: it will be created</source>
        <translation>新文件夹：将会创建</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Choose the dataset: a folder with one subfolder of images per class</source>
        <translation>请选择数据集：每个类别一个图像子文件夹的文件夹</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+32"/>
        <source>No such folder</source>
        <translation>文件夹不存在</translation>
    </message>
    <message>
        <location line="-30"/>
        <source>Not a folder or a .safetensors file</source>
        <translation>不是文件夹，也不是 .safetensors 文件</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Not a folder</source>
        <translation>不是文件夹</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>A job is running (%1): Create is available when it ends. To create now, close this dialog, cancel the job (Esc, or Cancel in the status bar) and open New project again. The job is not affected until then.</source>
        <translation>有任务正在运行（%1）：任务结束后即可创建。若要立即创建，请关闭此对话框，取消该任务（按 Esc 或点击状态栏中的“取消”），然后重新打开“新建项目”。在此之前该任务不受影响。</translation>
    </message>
    <message>
        <location line="-62"/>
        <source>Not a usable dataset: %1</source>
        <translation>不是可用的数据集：%1</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n class(es)</source>
        <translation>
            <numerusform>%n 个类别</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n image(s)</source>
        <translation>
            <numerusform>%n 张图像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n warning(s): %1</source>
        <translation>
            <numerusform>%n 条警告：%1</numerusform>
        </translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Choose a Stable Diffusion model folder (diffusers layout, model_index.json)</source>
        <translation>请选择 Stable Diffusion 模型文件夹（diffusers 布局，含 model_index.json）</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Not a usable model folder: %1</source>
        <translation>不是可用的模型文件夹：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: %2, %3, %4; %5 parameters</source>
        <translation>%1：%2、%3、%4；%5 个参数</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 px images</source>
        <translation>%1 像素图像</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Give the word the class prompts are built on (e.g. bird)</source>
        <translation>请填写构建类别提示词所用的单词（例如 bird）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The class prompts are built on &quot;%1&quot;</source>
        <translation>类别提示词基于“%1”构建</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>A job is running (%1): wait for it or cancel it, then create the project</source>
        <translation>有任务正在运行（%1）：请等待其完成或取消它，然后再创建项目</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Creating the project and loading the model...</source>
        <translation>正在创建项目并加载模型...</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>The project was not created (nothing was left on disk): %1</source>
        <translation>项目未创建（磁盘上未留下任何内容）：%1</translation>
    </message>
</context>
<context>
    <name>diffii::ui::PoolPage</name>
    <message>
        <location filename="../ui/pool_page.cpp" line="+97"/>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Original</source>
        <translation>原图</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reconstruction</source>
        <translation>重建</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>PSNR (dB)</source>
        <translation>PSNR (dB)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The training image that was inverted</source>
        <translation>被反演的训练图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The image denoised back from its inversion with the class prompt</source>
        <translation>用类别提示词从其反演去噪还原得到的图像</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Peak signal-to-noise ratio of the reconstruction against the original: how faithfully the inversion keeps the image (higher is better)</source>
        <translation>重建相对原图的峰值信噪比：反演保留图像的忠实程度（越高越好）</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Entry %1
%2</source>
        <translation>条目 %1
%2</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>No reconstruction was made</source>
        <translation>未生成重建图像</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>%1
stale</source>
        <translation>%1
已失效</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Stale: the model, the concepts or the pool settings changed since this inversion was made. Build the pool again.</source>
        <translation>已失效：生成此反演后，模型、概念或反演池设置已更改。请重新构建反演池。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Reconstruction PSNR: higher means the inversion keeps the image</source>
        <translation>重建 PSNR：越高表示反演越能保留图像</translation>
    </message>
    <message>
        <location line="+84"/>
        <source>The inversion pool holds one DDIM inversion per training image: the noise latent that denoises back to that image under its class prompt. Generation interpolates between two inversions of a class on a circle, so a faithful inversion (high PSNR) gives faithful synthetic images.</source>
        <translation>反演池为每张训练图像保存一个 DDIM 反演：即在其类别提示词下可去噪还原为该图像的噪声潜变量。生成时在同一类别的两个反演之间沿圆插值，因此反演越忠实（PSNR 越高），合成图像就越忠实。</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>Pool settings</source>
        <translation>反演池设置</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>DDIM steps of the inversion (and of the reconstruction): more steps invert more faithfully and take longer</source>
        <translation>反演（及重建）的 DDIM 步数：步数越多反演越忠实，耗时也越长</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Inversion &amp;steps</source>
        <translation>反演步数(&amp;S)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Classifier-free guidance scale during inversion; 1 (no guidance) inverts most faithfully</source>
        <translation>反演时的无分类器引导强度；1（无引导）的反演最忠实</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Guidance</source>
        <translation>引导强度(&amp;G)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Build pool</source>
        <translation>构建反演池(&amp;B)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Save the settings and invert every training image that has no current inversion (missing or stale); finished entries are kept if you cancel</source>
        <translation>保存设置，并反演所有没有有效反演（缺失或已失效）的训练图像；取消时已完成的条目会保留</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;fresh</source>
        <translation>刷新(&amp;F)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Read the pool from the project folder again</source>
        <translation>从项目文件夹重新读取反演池</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Show the entries of one class</source>
        <translation>只显示一个类别的条目</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Class</source>
        <translation>类别(&amp;C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stale entries &amp;only</source>
        <translation>仅显示失效条目(&amp;O)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show only the entries that must be rebuilt</source>
        <translation>只显示需要重建的条目</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>%1 %2: original</source>
        <translation>%1 %2：原图</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 %2: reconstruction</source>
        <translation>%1 %2：重建</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>%1 of %2 inverted (%p%)</source>
        <translation>已反演 %1 / %2（%p%）</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>All classes</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>%1 of %2 training images inverted</source>
        <translation>已反演 %1 / %2 张训练图像</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>, mean PSNR %1 dB</source>
        <translation>，平均 PSNR %1 dB</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%n stale</source>
        <translation>
            <numerusform>%n 个失效</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>, none stale</source>
        <translation>，无失效条目</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Open a project first (Dataset page).</source>
        <translation>请先打开项目（数据集页）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No inversions yet. Train the concepts first (Concepts page), then Build the pool: inverting with the class prompt of trained concepts keeps images faithful.</source>
        <translation>尚无反演。请先训练概念（概念页），再构建反演池：用已训练概念的类别提示词进行反演可保持图像忠实。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No inversions yet: press Build pool.</source>
        <translation>尚无反演：请点击“构建反演池”。</translation>
    </message>
    <message>
        <location filename="../ui/pool_page.h" line="+32"/>
        <source>Inversion pool</source>
        <translation>反演池</translation>
    </message>
</context>
<context>
    <name>diffii::ui::PreferencesDialog</name>
    <message>
        <location filename="../ui/preferences_dialog.cpp" line="+64"/>
        <source>Preferences</source>
        <translation>首选项</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Reopen the last project on start</source>
        <translation>启动时重新打开上次的项目(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A project folder given on the command line, or --demo, is opened instead</source>
        <translation>如果命令行给出了项目文件夹或 --demo，则改为打开它</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPU %1 (CUDA)</source>
        <translation>GPU %1（CUDA）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 (not visible now)</source>
        <translation>%1（当前不可见）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Where the models compute. Applies when a project is opened next; the CLI takes --device.</source>
        <translation>模型在哪个设备上计算。下次打开项目时生效；命令行使用 --device。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Compute &amp;device:</source>
        <translation>计算设备(&amp;D)：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPUs this build can use: %1</source>
        <translation>此版本可用的 GPU：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No GPU this build can use: it computes on the CPU (a CPU-only LibTorch, or no GPU visible).</source>
        <translation>此版本没有可用的 GPU：将在 CPU 上计算（LibTorch 仅支持 CPU，或没有可见的 GPU）。</translation>
    </message>
</context>
<context>
    <name>diffii::ui::PreviewPage</name>
    <message>
        <location filename="../ui/preview_page.cpp" line="+131"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Circle strip: %1 / %2</source>
        <translation>圆周图像条：%1 / %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sweep of s: %1 / %2 samples</source>
        <translation>s 扫描：%1 / %2 个样本</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Build the pool first</source>
        <translation>请先构建反演池</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>First inversion z1: the image at α = 0</source>
        <translation>第一个反演 z1：α = 0 处的图像</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Second inversion z2: the image at α = −1 (≡ period − 1)</source>
        <translation>第二个反演 z2：α = −1（≡ 周期 − 1）处的图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Image z1</source>
        <translation>图像 z1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Image z2</source>
        <translation>图像 z2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Random pair</source>
        <translation>随机配对</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pick two different inversions of the class at random</source>
        <translation>随机选取该类别的两个不同反演</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Seed of the Gaussian noise used when the class has one image, and of the sweep&apos;s α samples</source>
        <translation>类别只有一张图像时所用高斯噪声的种子，以及扫描中 α 采样的种子</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The great circle through z1 and z2. Green: the short arc between them (interpolation); the rest of the circle extrapolates. Click or drag to move the point.</source>
        <translation>经过 z1 和 z2 的大圆。绿色：两者之间的短弧（内插）；圆的其余部分为外推。单击或拖动以移动点。</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <location line="+8"/>
        <source> turn</source>
        <translation> 圈</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Turns</source>
        <translation>圈数</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Split ratio s: the noisiest fraction s of the steps uses the prompt with the scene suffix, the rest the plain prompt. Low s stays faithful to the sources, high s brings more diversity.</source>
        <translation>分割比例 s：噪声最大的前 s 比例的步数使用带场景后缀的提示词，其余步数使用普通提示词。s 越低越忠实于源图像，s 越高多样性越强。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Split s</source>
        <translation>分割点 s</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>faithful ← → diverse</source>
        <translation>忠实 ← → 多样</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Scene suffix appended to the prompt for the first stage of denoising (type your own)</source>
        <translation>在第一阶段去噪时附加到提示词后的场景后缀（可自行输入）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suffix</source>
        <translation>后缀</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>DDIM denoising steps</source>
        <translation>DDIM 去噪步数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Classifier-free guidance scale</source>
        <translation>无分类器引导（CFG）强度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Guidance</source>
        <translation>引导强度</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Circle strip</source>
        <translation>圆周图像条</translation>
    </message>
    <message>
        <location line="+938"/>
        <source>Render %1 images evenly spaced around the circle</source>
        <translation>沿圆周均匀生成 %1 张图像</translation>
    </message>
    <message>
        <location line="-936"/>
        <source>Sweep s</source>
        <translation>扫描 s</translation>
    </message>
    <message>
        <location line="+938"/>
        <source>Measure faithfulness and diversity for s = 0, 0.2, …, 1 (%1 samples each)</source>
        <translation>测量 s = 0, 0.2, …, 1 时的忠实度与多样性（每个取值 %1 个样本）</translation>
    </message>
    <message>
        <location line="-933"/>
        <source>X/Y grid…</source>
        <translation>X/Y 网格…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Render this pair over two axes (α, s, suffix, seed, guidance) as one labelled grid</source>
        <translation>沿两个轴（α、s、后缀、种子、引导）渲染此图像对，生成一张带标注的网格</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1: %2 (Gaussian noise)</source>
        <translation>%1：%2（高斯噪声）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1: %2 ↔ %3</source>
        <translation>%1：%2 ↔ %3</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Source of z1</source>
        <translation>z1 的源图像</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Source of z2</source>
        <translation>z2 的源图像</translation>
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
        <translation>尚无预览</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Full render</source>
        <translation>完整渲染</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Render this preview with the full steps and resolution of the settings</source>
        <translation>按设置中的完整步数和分辨率渲染此预览</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Images along the circle; click one to move α there</source>
        <translation>沿圆周的图像；单击某张可将 α 移到该处</translation>
    </message>
    <message>
        <location line="+53"/>
        <location line="+10"/>
        <source>faithfulness</source>
        <translation>忠实度</translation>
    </message>
    <message>
        <location line="-6"/>
        <location line="+7"/>
        <source>diversity</source>
        <translation>多样性</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>split ratio s</source>
        <translation>分割比例 s</translation>
    </message>
    <message>
        <location line="+778"/>
        <source>faithfulness (cosine to source)</source>
        <translation>忠实度（与源图像的余弦相似度）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>diversity (pairwise RMS)</source>
        <translation>多样性（两两 RMS 距离）</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Faithfulness falls and diversity rises as s grows; pick s where the trade-off suits you</source>
        <translation>随着 s 增大，忠实度下降而多样性上升；请选择权衡合适的 s</translation>
    </message>
    <message>
        <location line="-1012"/>
        <source>Where the point is on the great circle through z1 and z2, in turns from z1 towards z2 (0 … 1 turn, both ends are z1): z2 is at θ/360°, −z1 at 0.5 turn, −z2 at 0.5 + θ/360°. The green band, from z1 to z2 at the start, is the interpolation arc; the rest extrapolates. Arrow keys move 0.01 turn, Page Up/Down 0.1 turn.</source>
        <translation>点在经过 z1 和 z2 的大圆上的位置，以从 z1 朝 z2 方向的圈数表示（0 … 1 圈，两端都是 z1）：z2 在 θ/360°，−z1 在 0.5 圈，−z2 在 0.5 + θ/360°。开头从 z1 到 z2 的绿色带是内插弧，其余为外推。方向键每次移动 0.01 圈，Page Up/Down 移动 0.1 圈。</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>The position in turns of the circle from z1 towards z2; the engine gets α = (1 − turns) · 2π/θ</source>
        <translation>从 z1 朝 z2 方向的圈数位置；引擎得到 α = (1 − 圈数) · 2π/θ</translation>
    </message>
    <message>
        <location line="+168"/>
        <source>The image at the current position for each s of the sweep; click one to use that s</source>
        <translation>扫描中每个 s 在当前位置的图像；单击其中一张即使用该 s</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>The previews of this session, newest first; click one to restore its settings</source>
        <translation>本次会话的预览，最新的在前；单击一项即恢复其设置</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Use these settings for export</source>
        <translation>将这些设置用于导出</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Write the selected preview&apos;s steps, guidance and split ratio s into the project&apos;s settings, which the Export page generates with (the pair, position, suffix and seed are drawn per image there)</source>
        <translation>将所选预览的步数、引导强度和分割比 s 写入项目设置，导出页面按这些设置生成（图像对、位置、后缀和种子在那里按每张图像随机抽取）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Sweep of s</source>
        <translation>s 扫描</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>History</source>
        <translation>历史</translation>
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
        <translation>预览已取消</translation>
    </message>
    <message>
        <location line="+424"/>
        <source>s = %1
faithfulness %2
diversity %3
click to use this s</source>
        <translation>s = %1
忠实度 %2
多样性 %3
单击以使用此 s</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 reconstruction</source>
        <translation>%1 重建</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>reconstruction</source>
        <translation>重建</translation>
    </message>
    <message>
        <location line="+54"/>
        <location line="+146"/>
        <location line="+121"/>
        <location line="+258"/>
        <location line="+87"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location line="-503"/>
        <location line="+406"/>
        <source>noise</source>
        <translation>噪声</translation>
    </message>
    <message>
        <location line="-404"/>
        <source>one image in the class: Gaussian noise (seed %1)</source>
        <translation>该类别仅有一张图像：高斯噪声（种子 %1）</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+162"/>
        <source>interpolation</source>
        <translation>内插</translation>
    </message>
    <message>
        <location line="-162"/>
        <location line="+162"/>
        <source>extrapolation</source>
        <translation>外推</translation>
    </message>
    <message>
        <location line="-159"/>
        <source>The point lies on the short arc between z1 and z2</source>
        <translation>该点位于 z1 与 z2 之间的短弧上</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The point lies on the long way round the circle, beyond z1 or z2</source>
        <translation>该点位于圆的长弧上，超出 z1 或 z2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>θ = %1°</source>
        <translation>θ = %1°</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>θ ≈ %1° (until the first preview)</source>
        <translation>θ ≈ %1°（首次预览前）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 turn (α = %2) · %3</source>
        <translation>%1 圈（α = %2）· %3</translation>
    </message>
    <message>
        <location line="+121"/>
        <source>A quick draft: %1 steps at %2×%3 pixels instead of the settings&apos; %4 steps at the model&apos;s size</source>
        <translation>快速草稿：以 %2×%3 像素运行 %1 步，而非设置中以模型尺寸运行的 %4 步</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>%1 turn (α = %2) · θ = %3° · %4 · s = %5 · suffix: %6 · %7 s</source>
        <translation>%1 圈（α = %2）· θ = %3° · %4 · s = %5 · 后缀：%6 · %7 秒</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>%1 turn
%2</source>
        <translation>%1 圈
%2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>α = %1. %2</source>
        <translation>α = %1。%2</translation>
    </message>
    <message>
        <location line="+59"/>
        <source>s = %1 · faithfulness %2 · diversity %3 (at α = %4)</source>
        <translation>s = %1 · 忠实度 %2 · 多样性 %3（α = %4 处）</translation>
    </message>
    <message>
        <location line="+102"/>
        <source> · shown again, not recomputed</source>
        <translation> · 再次显示，未重新计算</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>%1 turn</source>
        <translation>%1 圈</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 · %2/%3 · %4 · s = %5 · guidance %6 · %7 steps · seed %8 · suffix: %9</source>
        <translation>%1 · %2/%3 · %4 · s = %5 · 引导 %6 · %7 步 · 种子 %8 · 后缀：%9</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>α = %1, θ = %2°</source>
        <translation>α = %1，θ = %2°</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Preview history not saved: %1</source>
        <translation>预览历史未保存：%1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Sweep of s not saved: %1</source>
        <translation>s 扫描结果未保存：%1</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>Export settings: %1 steps, guidance %2, s = %3</source>
        <translation>导出设置：%1 步，引导 %2，s = %3</translation>
    </message>
    <message>
        <location line="-420"/>
        <source>Denoising… step %1 of %2</source>
        <translation>去噪中… 第 %1 / %2 步</translation>
    </message>
    <message>
        <location line="-88"/>
        <source>How far round the circle the point is from z1, in turns (1 turn: all the way round, back to z1). z2 is at %1 turn, −z1 at 0.5, −z2 at %2. The engine&apos;s rotation parameter is α = (1 − turns) · 2π/θ = (1 − turns) · %3; θ, the angle between the two inverted latents, is %4°.</source>
        <translation>点从 z1 起绕圆走了多远，以圈数表示（1 圈：绕满一圈回到 z1）。z2 在 %1 圈，−z1 在 0.5，−z2 在 %2。引擎的旋转参数为 α = (1 − 圈数) · 2π/θ = (1 − 圈数) · %3；θ 为两个反演潜变量之间的夹角，为 %4°。</translation>
    </message>
    <message>
        <location line="+103"/>
        <source>θ is %1°: moving to the chosen point of the circle…</source>
        <translation>θ 为 %1°：正在移动到圆上选定的点…</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Gaussian noise (one image in the class, seed %1) · s = %2 · suffix: %3 · %4 s</source>
        <translation>高斯噪声（该类别仅一张图像，种子 %1）· s = %2 · 后缀：%3 · %4 秒</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Preview failed: %1</source>
        <translation>预览失败：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Circle strip queued…</source>
        <translation>圆周图像条已排队…</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>interp</source>
        <translation>内插</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>extrap</source>
        <translation>外推</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>On the short arc between z1 and z2: interpolation</source>
        <translation>位于 z1 与 z2 之间的短弧上：内插</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Beyond z1 or z2: extrapolation</source>
        <translation>超出 z1 或 z2：外推</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Sweep of s queued…</source>
        <translation>s 扫描已排队…</translation>
    </message>
    <message>
        <location filename="../ui/preview_page.h" line="+38"/>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
</context>
<context>
    <name>diffii::ui::SlurmPanel</name>
    <message>
        <location filename="../ui/slurm_panel.cpp" line="+25"/>
        <source>pending</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Run on Slurm</source>
        <translation>在 Slurm 上运行</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Generate the set on a Slurm cluster: one shard per task of a job array, each resuming from its last image. The job script, the records and the logs are kept in the project under runs/slurm.</source>
        <translation>在 Slurm 集群上生成数据集：作业数组的每个任务负责一个分片，各分片从其最后一张图像处继续。作业脚本、记录和日志保存在项目的 runs/slurm 下。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>S&amp;hards:</source>
        <translation>分片数(&amp;H)：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the cluster&apos;s default</source>
        <translation>集群默认值</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Partition:</source>
        <translation>分区(&amp;P)：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>e.g. 2:00:00</source>
        <translation>例如 2:00:00</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Time limit:</source>
        <translation>时间限制(&amp;T)：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>further sbatch arguments, e.g. --gres=gpu:1 --account=lab</source>
        <translation>其他 sbatch 参数，例如 --gres=gpu:1 --account=lab</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>E&amp;xtra arguments:</source>
        <translation>额外参数(&amp;X)：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Submit</source>
        <translation>提交(&amp;S)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Resume incomplete shards</source>
        <translation>续跑未完成的分片(&amp;R)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Re&amp;fresh</source>
        <translation>刷新(&amp;F)</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+33"/>
        <location line="+54"/>
        <source>No Slurm run yet.</source>
        <translation>尚无 Slurm 运行。</translation>
    </message>
    <message>
        <location line="-80"/>
        <source>Shard</source>
        <translation>分片</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Images</source>
        <translation>图像</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Exit code</source>
        <translation>退出码</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location line="+16"/>
        <location line="+36"/>
        <location line="+20"/>
        <source>Slurm: %1</source>
        <translation>Slurm：%1</translation>
    </message>
    <message numerus="yes">
        <location line="-17"/>
        <source>Submitting %n shard(s)...</source>
        <translation>
            <numerusform>正在提交 %n 个分片...</numerusform>
        </translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Resubmitting the incomplete shards...</source>
        <translation>正在重新提交未完成的分片……</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Run %1 (jobs %2): %3 of %4 shards done.</source>
        <translation>运行 %1（作业 %2）：%4 个分片中已完成 %3 个。</translation>
    </message>
</context>
<context>
    <name>diffii::ui::ThumbnailModel</name>
    <message>
        <location filename="../ui/dataset_page.cpp" line="-404"/>
        <source>In the training split</source>
        <translation>在训练子集中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not in the training split (left out by the subset)</source>
        <translation>不在训练子集中（被子集排除）</translation>
    </message>
</context>
<context>
    <name>diffii::ui::TurnScale</name>
    <message>
        <location filename="../ui/circle_widget.cpp" line="+36"/>
        <source>Green: the interpolation arc, from z1 to z2. Orange: extrapolation, the rest of the circle.</source>
        <translation>绿色：内插弧，从 z1 到 z2。橙色：外推，即圆周的其余部分。</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>interpolation</source>
        <translation>内插</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>extrapolation</source>
        <translation>外推</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>interp.</source>
        <translation>内插</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>extrap.</source>
        <translation>外推</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>θ unknown until the first preview</source>
        <translation>首次预览前 θ 未知</translation>
    </message>
</context>
</TS>
