// The answer form, made easier where scripts run; without them the form works the same.
//
// - After a refused send, focus goes to the error summary at the top (the page also asks
//   for it with `autofocus`), so the reason is the first thing seen and read out.
// - A sticky bar counts the questions with a choice ("No answer" included) and the time
//   left. It reads the radio buttons only: nothing is stored (no cookie, no storage) and
//   nothing is sent before the respondent presses the button (A5).
(function () {
  'use strict';

  var summary = document.getElementById('error-summary');
  if (summary) {
    summary.focus();
  }

  var bar = document.getElementById('progress');
  var form = document.getElementById('questions');
  if (!bar || !form) {
    return;
  }
  var meter = document.getElementById('progress-bar');
  var count = document.getElementById('progress-count');
  var left = document.getElementById('progress-left');
  var questions = form.querySelectorAll('fieldset.item');
  var total = questions.length;
  var seconds = Number(bar.getAttribute('data-seconds')) || 8;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function update() {
    var answered = 0;
    for (var i = 0; i < questions.length; i++) {
      if (questions[i].querySelector('input[type=radio]:checked')) {
        answered += 1;
      }
    }
    var minutes = Math.ceil(((total - answered) * seconds) / 60);
    meter.value = answered;
    count.textContent = fill(bar.getAttribute('data-count'), { answered: answered, total: total });
    if (answered >= total) {
      left.textContent = bar.getAttribute('data-done');
    } else if (minutes <= 1) {
      left.textContent = bar.getAttribute('data-left-one');
    } else {
      left.textContent = fill(bar.getAttribute('data-left'), { minutes: minutes });
    }
  }

  form.addEventListener('change', update);
  update();
  bar.hidden = false;
})();
